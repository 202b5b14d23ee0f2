package dev.cordon.capabilities.sqlite;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SqlTextTest {

    @Test
    void namedParametersBecomeNumberedOnesOutsideStringsAndComments() {
        List<String> names = new ArrayList<>();
        String sql = new SqlText("select :a, ':b', @c, $d -- :e\n, :a, \":f\", [:g], /* :h */ :c")
                .numbered(names);
        assertThat(sql).isEqualTo("select ?1, ':b', ?2, ?3 -- :e\n, ?1, \":f\", [:g], /* :h */ ?2");
        assertThat(names).containsExactly("a", "c", "d");
    }

    @Test
    void aSecondStatementIsFoundButATriggersBodyIsPartOfItsStatement() {
        assertThat(new SqlText("select 1;").moreThanOneStatement()).isFalse();
        assertThat(new SqlText("select 1; -- done\n").moreThanOneStatement()).isFalse();
        assertThat(new SqlText("select ';'; ").moreThanOneStatement()).isFalse();
        assertThat(new SqlText("select 1; select 2").moreThanOneStatement()).isTrue();
        assertThat(new SqlText("create trigger t after insert on x begin insert into y values (1); "
                + "update y set a = case when 1 then 2 end; end;").moreThanOneStatement()).isFalse();
        assertThat(new SqlText("create temp trigger t after insert on x begin select 1; end; drop table x")
                .moreThanOneStatement()).isTrue();
    }

    @Test
    void settingAPragmaThatReachesPastTheDatabaseIsFoundWhateverItsSpelling() {
        assertThat(new SqlText("PRAGMA temp_store = FILE").refusedPragma()).isEqualTo("temp_store");
        assertThat(new SqlText("pragma main.MAX_PAGE_COUNT=1").refusedPragma()).isEqualTo("max_page_count");
        assertThat(new SqlText("select 1; /* x */ pragma hard_heap_limit(0)").refusedPragma()).isEqualTo("hard_heap_limit");
        assertThat(new SqlText("pragma max_page_count").refusedPragma()).isNull();
        assertThat(new SqlText("pragma user_version = 3").refusedPragma()).isNull();
        assertThat(new SqlText("select 'pragma temp_store = 1'").refusedPragma()).isNull();
        assertThat(new SqlText("  -- c\n insert into t values (1)").firstWord()).isEqualTo("INSERT");
        assertThat(new SqlText("/* only */").firstWord()).isEmpty();
    }
}
