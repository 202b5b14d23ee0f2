package dev.cordon.engine.graalpy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.xml.sax.Attributes;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;
import org.xml.sax.ext.DefaultHandler2;

import javax.xml.XMLConstants;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.parsers.SAXParserFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Parses a whole XML document with the JDK's parser for the guest's {@code pyexpat} ({@code
 * _cordon_graalpy/pyexpat.py}), which replays the events to its handlers: GraalPy's own pyexpat is native code.
 * The parser loads nothing from outside (no external DTD or entity: each resolves to nothing), and bounds
 * entity expansion (the JDK's secure processing, and {@link #MAX_EXPANSIONS}); the events it returns are
 * bounded by {@code maxChars}, so a document cannot make the host hold more than the call may use.
 *
 * <p>The answer is JSON: {@code {"events": [...]}} where each event is an array whose first item says what it
 * is ({@code s} start tag with name and flat attribute list, {@code e} end tag, {@code d} character data,
 * {@code c} comment, {@code p} processing instruction, {@code ns}/{@code ne} a namespace's start and end), or
 * {@code {"error": message, "line": n, "column": n}}.
 */
final class XmlEvents extends DefaultHandler2 {

    /** Entity references expanded in one document, at most. */
    static final int MAX_EXPANSIONS = 10_000;

    private static final JsonFactory JSON = new JsonFactory();
    private static final String LEXICAL = "http://xml.org/sax/properties/lexical-handler";

    private final StringWriter out = new StringWriter();
    private final JsonGenerator json;
    private final String separator;
    private final long maxChars;
    private final StringBuilder text = new StringBuilder();
    private long chars;

    private XmlEvents(String separator, long maxChars) throws IOException {
        this.separator = separator;
        this.maxChars = maxChars;
        this.json = JSON.createGenerator(out);
    }

    /**
     * @param document  the document: text, or bytes as ISO-8859-1 characters when {@code bytes}
     * @param encoding  the encoding the guest named for bytes, or null to detect it
     * @param separator the namespace separator, or null to parse without namespaces
     * @param maxChars  the most characters the events may hold
     */
    static String parse(String document, boolean bytes, String encoding, String separator, long maxChars) {
        try {
            XmlEvents events = new XmlEvents(separator, maxChars);
            return events.run(document, bytes, encoding);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String run(String document, boolean bytes, String encoding) throws IOException {
        InputSource source = bytes
                ? new InputSource(new ByteArrayInputStream(document.getBytes(StandardCharsets.ISO_8859_1)))
                : new InputSource(new StringReader(document));
        if (bytes && encoding != null) {
            source.setEncoding(encoding);
        }
        json.writeStartObject();
        json.writeArrayFieldStart("events");
        try {
            reader().parse(source);
            flushText();
        } catch (SAXParseException e) {
            return error(e.getMessage(), e.getLineNumber(), e.getColumnNumber());
        } catch (SAXException e) {
            return error(e.getMessage(), 0, 0);
        } catch (ParserConfigurationException e) {
            return error("the XML parser could not be configured: " + e.getMessage(), 0, 0);
        }
        json.writeEndArray();
        json.writeEndObject();
        json.close();
        return out.toString();
    }

    private XMLReader reader() throws ParserConfigurationException, SAXException {
        SAXParserFactory factory = SAXParserFactory.newInstance();
        factory.setNamespaceAware(separator != null);
        factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
        factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        XMLReader reader = factory.newSAXParser().getXMLReader();
        reader.setProperty("http://www.oracle.com/xml/jaxp/properties/entityExpansionLimit",
                String.valueOf(MAX_EXPANSIONS));
        reader.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        reader.setContentHandler(this);
        reader.setErrorHandler(this);
        reader.setEntityResolver(this);
        reader.setProperty(LEXICAL, this);
        return reader;
    }

    private String error(String message, int line, int column) throws IOException {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.writeStartObject();
            g.writeStringField("error", message == null ? "not well-formed" : message);
            g.writeNumberField("line", Math.max(line, 1));
            g.writeNumberField("column", Math.max(column - 1, 0));
            g.writeEndObject();
        }
        return w.toString();
    }

    /** Counts what an event holds against the bound, and refuses past it. */
    private void take(long n) throws SAXException {
        chars += n;
        if (chars > maxChars) {
            throw new SAXException("the document's events would hold more than the " + maxChars
                    + " characters this call may use");
        }
    }

    private String name(String uri, String localName, String qName) {
        if (separator == null) {
            return qName;
        }
        return uri == null || uri.isEmpty() ? localName : uri + separator + localName;
    }

    private void flushText() throws IOException {
        if (!text.isEmpty()) {
            json.writeStartArray();
            json.writeString("d");
            json.writeString(text.toString());
            json.writeEndArray();
            text.setLength(0);
        }
    }

    private void event(String kind, String... items) throws SAXException {
        long n = kind.length();
        for (String item : items) {
            n += item == null ? 0 : item.length();
        }
        take(n + 8);
        try {
            flushText();
            json.writeStartArray();
            json.writeString(kind);
            for (String item : items) {
                json.writeString(item);
            }
            json.writeEndArray();
        } catch (IOException e) {
            throw new SAXException(e);
        }
    }

    @Override
    public void startElement(String uri, String localName, String qName, Attributes attributes) throws SAXException {
        String name = name(uri, localName, qName);
        long n = name.length() + 8;
        for (int i = 0; i < attributes.getLength(); i++) {
            n += attributes.getQName(i).length() + attributes.getValue(i).length() + 8;
        }
        take(n);
        try {
            flushText();
            json.writeStartArray();
            json.writeString("s");
            json.writeString(name);
            json.writeStartArray();
            for (int i = 0; i < attributes.getLength(); i++) {
                json.writeString(name(attributes.getURI(i), attributes.getLocalName(i), attributes.getQName(i)));
                json.writeString(attributes.getValue(i));
            }
            json.writeEndArray();
            json.writeEndArray();
        } catch (IOException e) {
            throw new SAXException(e);
        }
    }

    @Override
    public void endElement(String uri, String localName, String qName) throws SAXException {
        event("e", name(uri, localName, qName));
    }

    @Override
    public void characters(char[] ch, int start, int length) throws SAXException {
        take(length);
        text.append(ch, start, length);
    }

    @Override
    public void ignorableWhitespace(char[] ch, int start, int length) throws SAXException {
        characters(ch, start, length);
    }

    @Override
    public void processingInstruction(String target, String data) throws SAXException {
        event("p", target, data);
    }

    @Override
    public void comment(char[] ch, int start, int length) throws SAXException {
        event("c", new String(ch, start, length));
    }

    @Override
    public void startPrefixMapping(String prefix, String uri) throws SAXException {
        event("ns", prefix, uri);
    }

    @Override
    public void endPrefixMapping(String prefix) throws SAXException {
        event("ne", prefix);
    }

    /** Nothing is loaded from outside the document: every external DTD or entity reads as empty. */
    @Override
    public InputSource resolveEntity(String name, String publicId, String baseURI, String systemId) {
        return new InputSource(new StringReader(""));
    }

    @Override
    public InputSource getExternalSubset(String name, String baseURI) {
        return null;
    }

    @Override
    public void fatalError(SAXParseException e) throws SAXException {
        throw e;
    }
}
