package dev.cordon.tests.zoobar;

import dev.cordon.Limits;
import dev.cordon.examples.zoobar.ZoobarApp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Zoobar in a real browser: Debian's headless Chromium driven through its chromedriver. {@code .ci/run}
 * installs both; elsewhere the test is skipped, saying so, when they are missing.
 */
class ZoobarBrowserTest {

    static final Path CHROMIUM = Path.of(System.getProperty("cordon.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("cordon.chromedriver", "/usr/bin/chromedriver"));

    @TempDir
    static Path dir;
    static ZoobarApp app;
    static WebDriver browser;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)");
        app = ZoobarApp.start(dir.resolve("zoobar"), "127.0.0.1", 0, Limits.builder().wallTime(Duration.ofSeconds(5)).build());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + Files.createDirectories(dir.resolve("profile")));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER.toString()))
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (app != null) {
            app.close();
        }
    }

    @Test
    void twoUsersRegisterOneSavesAProfileTheOtherSeesItsOutput() {
        register("alice", "alice's password");
        WebElement code = browser.findElement(By.id("profile-code"));
        code.clear();
        code.sendKeys("import cordon\nprint('Hi ' + cordon.params['ZOOBAR_VISITOR'] + ', from ' + cordon.params['ZOOBAR_SELF'])");
        submit("profile-submit");
        assertThat(browser.findElement(By.id("profile-code")).getAttribute("value")).startsWith("import cordon");
        submit("logout");

        register("bob", "bob's password");
        assertThat(browser.findElement(By.id("zoobars")).getText()).isEqualTo("10");
        browser.findElement(By.id("view-user")).sendKeys("alice");
        submit("view-submit");
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.presenceOfElementLocated(By.id("profile")));
        assertThat(browser.getTitle()).isEqualTo("alice - Zoobar");
        assertThat(browser.findElement(By.id("profile")).getText()).isEqualTo("Hi bob, from alice");
        assertThat(browser.findElements(By.id("profile-error"))).isEmpty();
    }

    private static void register(String name, String password) {
        browser.get(app.uri().toString());
        browser.findElement(By.id("register-username")).sendKeys(name);
        browser.findElement(By.id("register-password")).sendKeys(password);
        submit("register-submit");
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(ExpectedConditions.textToBe(By.id("me"), name));
    }

    /**
     * Clicks a submit button and waits for the next page to have loaded. A mark left on the old page's
     * window tells the pages apart (watching the old page's element go stale is not reliable: some
     * chromedriver versions report it as an unknown error instead of a stale element).
     */
    private static void submit(String button) {
        ((JavascriptExecutor) browser).executeScript("window.cordonBeforeSubmit = true;");
        browser.findElement(By.id(button)).click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).ignoring(WebDriverException.class)
                .until(d -> Boolean.TRUE.equals(((JavascriptExecutor) d).executeScript(
                        "return window.cordonBeforeSubmit === undefined && document.readyState === 'complete';")));
    }
}
