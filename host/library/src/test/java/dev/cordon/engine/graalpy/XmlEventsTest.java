package dev.cordon.engine.graalpy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The events of a document as the guest's pyexpat replays them, and their bounds. */
class XmlEventsTest {

    @Test
    void eventsInDocumentOrderWithNamespacesAndMergedText() {
        String json = XmlEvents.parse("<r xmlns:a='urn:a' k='v'><!--c--><a:x a:n='1'>x &amp; <![CDATA[y]]></a:x><?t d?></r>",
                false, null, "}", 10_000);
        // A namespace starts before the element that declares it and ends after it, as expat reports them.
        assertThat(json).isEqualTo("{\"events\":[[\"ns\",\"a\",\"urn:a\"],[\"s\",\"r\",[\"k\",\"v\"]],[\"c\",\"c\"],"
                + "[\"s\",\"urn:a}x\",[\"urn:a}n\",\"1\"]],[\"d\",\"x & y\"],[\"e\",\"urn:a}x\"],"
                + "[\"p\",\"t\",\"d\"],[\"e\",\"r\"],[\"ne\",\"a\"]]}");
    }

    @Test
    void withoutASeparatorNamesStayQualified() {
        assertThat(XmlEvents.parse("<a:x xmlns:a='urn:a'/>", false, null, null, 10_000))
                .isEqualTo("{\"events\":[[\"s\",\"a:x\",[\"xmlns:a\",\"urn:a\"]],[\"e\",\"a:x\"]]}");
    }

    @Test
    void bytesAreDecodedAsTheirDeclarationOrTheGuestSays() {
        String latin1 = new String("<?xml version='1.0' encoding='iso-8859-1'?><a>\u00e9</a>"
                .getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1);
        assertThat(XmlEvents.parse(latin1, true, null, null, 10_000)).contains("[\"d\",\"\u00e9\"]");
        String utf8 = new String("<a>\u00e9</a>".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        assertThat(XmlEvents.parse(utf8, true, null, null, 10_000)).contains("[\"d\",\"\u00e9\"]");
        assertThat(XmlEvents.parse(latin1.replace(" encoding='iso-8859-1'", ""), true, "iso-8859-1", null, 10_000))
                .contains("[\"d\",\"\u00e9\"]");
    }

    @Test
    void anErrorHasItsPlace() {
        assertThat(XmlEvents.parse("<a>\n<b></a>", false, null, null, 10_000))
                .startsWith("{\"error\":").contains("\"line\":2").contains("\"column\":");
        assertThat(XmlEvents.parse("", false, null, null, 10_000)).startsWith("{\"error\":");
    }

    @Test
    void theEventsAreBoundedByWhatTheCallMayUse() {
        String doc = "<a>" + "x".repeat(5_000) + "</a>";
        assertThat(XmlEvents.parse(doc, false, null, null, 10_000)).startsWith("{\"events\":");
        assertThat(XmlEvents.parse(doc, false, null, null, 1_000))
                .startsWith("{\"error\":").contains("more than the 1000 characters this call may use");
        String attributes = "<a " + "b".repeat(2_000) + "='1'/>";
        assertThat(XmlEvents.parse(attributes, false, null, null, 1_000)).startsWith("{\"error\":");
    }

    @Test
    void nothingIsLoadedFromOutside() {
        String xxe = "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/hostname'>]><r>&x;</r>";
        assertThat(XmlEvents.parse(xxe, false, null, null, 10_000))
                .isEqualTo("{\"events\":[[\"s\",\"r\",[]],[\"e\",\"r\"]]}");
    }
}
