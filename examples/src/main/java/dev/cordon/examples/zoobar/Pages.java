package dev.cordon.examples.zoobar;

import java.util.List;

/** Zoobar's HTML. Everything a user wrote (names, profile output) is escaped: a profile prints text. */
final class Pages {

    private Pages() {
    }

    private static final String STYLE = """
            body{font-family:sans-serif;max-width:44em;margin:2em auto;padding:0 1em}
            form{margin:1em 0}label{display:block;margin:.3em 0}
            textarea{width:100%;height:14em;font-family:monospace}
            #profile{background:#f4f4f4;padding:1em;white-space:pre-wrap;min-height:1em}
            .error{border:2px solid #c00;background:#fee;padding:.8em;margin:1em 0}""";

    static String layout(String title, String body) {
        return "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + esc(title)
                + " - Zoobar</title><style>" + STYLE + "</style></head><body><h1>" + esc(title) + "</h1>" + body
                + "</body></html>";
    }

    static String welcome(String notice) {
        return layout("Zoobar", (notice == null ? "" : "<p class=\"error\" id=\"error\">" + esc(notice) + "</p>")
                + "<p>Every new user gets " + ZoobarStore.STARTING_ZOOBARS + " zoobars.</p>"
                + "<form method=\"post\" action=\"/login\" id=\"login\"><h2>Log in</h2>"
                + "<label>Username <input name=\"username\" id=\"login-username\" required></label>"
                + "<label>Password <input name=\"password\" id=\"login-password\" type=\"password\" required></label>"
                + "<button type=\"submit\" id=\"login-submit\">Log in</button></form>"
                + "<form method=\"post\" action=\"/register\" id=\"register\"><h2>Register</h2>"
                + "<label>Username <input name=\"username\" id=\"register-username\" required></label>"
                + "<label>Password <input name=\"password\" id=\"register-password\" type=\"password\" required></label>"
                + "<button type=\"submit\" id=\"register-submit\">Register</button></form>");
    }

    static String home(ZoobarStore.User me, List<ZoobarStore.Transfer> transfers) {
        StringBuilder b = new StringBuilder();
        b.append("<p>Logged in as <strong id=\"me\">").append(esc(me.username())).append("</strong>. You have <strong id=\"zoobars\">")
                .append(me.zoobars()).append("</strong> zoobars. <a href=\"/users/").append(esc(ZoobarApp.encode(me.username())))
                .append("\" id=\"my-page\">Your page</a></p>");
        b.append("<form method=\"post\" action=\"/logout\"><button type=\"submit\" id=\"logout\">Log out</button></form>");
        b.append("<form method=\"get\" action=\"/view\"><h2>View a user</h2><label>Username <input name=\"user\" id=\"view-user\"></label>"
                + "<button type=\"submit\" id=\"view-submit\">View</button></form>");
        b.append("<form method=\"post\" action=\"/transfer\"><h2>Transfer</h2>"
                + "<label>Recipient <input name=\"recipient\" id=\"recipient\" required></label>"
                + "<label>Zoobars <input name=\"zoobars\" id=\"amount\" type=\"number\" min=\"1\" required></label>"
                + "<button type=\"submit\" id=\"transfer-submit\">Send</button></form>");
        b.append("<form method=\"post\" action=\"/profile\"><h2>Your profile</h2>"
                + "<p>Python that runs each time someone views your page; what it prints is your profile. "
                + "It gets <code>cordon.params['ZOOBAR_SELF']</code>, <code>cordon.params['ZOOBAR_VISITOR']</code>, "
                + "your own <code>/tmp</code> and <code>gateway.connect('zoobar')</code>.</p>"
                + "<textarea name=\"code\" id=\"profile-code\">").append(esc(me.profile()))
                .append("</textarea><button type=\"submit\" id=\"profile-submit\">Save</button></form>");
        b.append("<form method=\"post\" action=\"/profile\"><label>Or start from a sample <select name=\"sample\" id=\"sample\">");
        for (String s : ZoobarApp.SAMPLES) {
            b.append("<option>").append(esc(s)).append("</option>");
        }
        b.append("</select></label><button type=\"submit\" id=\"sample-submit\">Load</button></form>");
        b.append("<h2>Your transfers</h2><ul id=\"transfers\">");
        for (ZoobarStore.Transfer t : transfers) {
            b.append("<li>").append(esc(t.time())).append(": ").append(esc(t.sender())).append(" gave ")
                    .append(esc(t.recipient())).append(" ").append(t.amount()).append("</li>");
        }
        b.append("</ul>");
        return layout("Zoobar", b.toString());
    }

    static String user(String visitor, ZoobarStore.User u, ZoobarApp.ProfileView view) {
        return layout(u.username(), "<p><a href=\"/\">Home</a> · viewing as " + esc(visitor) + "</p>"
                + "<p><strong id=\"user-zoobars\">" + u.zoobars() + "</strong> zoobars</p>"
                + "<h2>Profile</h2><div id=\"profile\">" + esc(view.output()) + "</div>"
                + (view.error() == null ? "" : "<div class=\"error\" id=\"profile-error\">" + esc(view.error()) + "</div>"));
    }

    static String message(String title, String text) {
        return layout(title, "<p class=\"error\" id=\"error\">" + esc(text) + "</p><p><a href=\"/\">Back</a></p>");
    }

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
