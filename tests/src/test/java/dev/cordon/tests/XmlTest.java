package dev.cordon.tests;

import dev.cordon.Execution;
import dev.cordon.ExecutionResult;
import dev.cordon.Limits;
import dev.cordon.Status;
import dev.cordon.testing.SharedCordon;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * XML in the sandbox: pyexpat is Cordon's own on the JDK's parser (_cordon_graalpy/pyexpat.py and
 * XmlEvents), so ElementTree, minidom, SAX and plistlib parse; nothing is loaded from outside the document,
 * and entity expansion is bounded, in count and in size (the JDK's secure processing: 100,000 characters).
 */
class XmlTest {

    @Test
    void elementTreeMinidomSaxAndPlistlibParse() {
        ExecutionResult r = SharedCordon.run("""
                import xml.etree.ElementTree as ET, xml.dom.minidom, xml.sax, plistlib, io
                root = ET.fromstring('<?xml version="1.0"?><!-- c --><r xmlns:a="urn:a" k="v">'
                                     '<a:x n="1">hi &amp; bye</a:x><y/><?pi data?></r>')
                print(root.tag, root.attrib, [(c.tag, c.attrib, c.text) for c in root])
                print(ET.tostring(root).decode())
                print(root.find('{urn:a}x').get('n'), [e.tag for e in root.iter()])
                d = xml.dom.minidom.parseString(b'<?xml version="1.0" encoding="iso-8859-1"?><a>\\xe9</a>')
                print(d.documentElement.firstChild.data)
                print(plistlib.loads(plistlib.dumps({'a': [1, 2.5, 'x'], 'b': True})))
                class H(xml.sax.ContentHandler):
                    def startElement(self, name, attrs):
                        print('sax', name, dict(attrs))
                xml.sax.parseString(b'<q z="1"><w/></q>', H())
                print([(ev, el.tag) for ev, el in ET.iterparse(io.BytesIO(b'<a><b/></a>'), events=('start', 'end'))])
                p = ET.XMLParser()
                for part in ('<doc>', 'te', 'xt</doc>'):
                    p.feed(part)
                print(p.close().text)
                try:
                    ET.fromstring('<a><b></a>')
                except ET.ParseError as e:
                    print('ParseError', e.position, e.code)
                """);
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                r {'k': 'v'} [('{urn:a}x', {'n': '1'}, 'hi & bye'), ('y', {}, None)]
                <r xmlns:ns0="urn:a" k="v"><ns0:x n="1">hi &amp; bye</ns0:x><y /></r>
                1 ['r', '{urn:a}x', 'y']
                é
                {'a': [1, 2.5, 'x'], 'b': True}
                sax q {'z': '1'}
                sax w {}
                [('start', 'a'), ('start', 'b'), ('end', 'b'), ('end', 'a')]
                text
                ParseError (1, 8) 2
                """);
    }

    @Test
    void externalEntitiesAreNeverLoadedAndExpansionIsBounded() {
        ExecutionResult r = SharedCordon.get().run(Execution.builder().code("""
                import xml.etree.ElementTree as ET
                xxe = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">'
                       '<!ENTITY y SYSTEM "http://127.0.0.1:1/">]><r>&x;&y;</r>')
                print('external:', repr(ET.fromstring(xxe).text))
                dtd = '<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:1/r.dtd"><r>ok</r>'
                print('external DTD:', ET.fromstring(dtd).text)
                levels = ''.join('<!ENTITY e%d "%s">' % (i, ('&e%d;' % (i - 1)) * 10 if i else 'x' * 10) for i in range(8))
                try:
                    ET.fromstring('<?xml version="1.0"?><!DOCTYPE b [%s]><b>&e7;</b>' % levels)
                    print('bomb expanded')
                except ET.ParseError as e:
                    print('bomb:', 'entity expansions' in str(e))
                wide = '<!ENTITY w "%s">' % ('y' * 10000)
                try:
                    ET.fromstring('<?xml version="1.0"?><!DOCTYPE b [%s]><b>%s</b>' % (wide, '&w;' * 5000))
                    print('wide expanded')
                except ET.ParseError as e:
                    print('wide:', 'accumulated size of entities' in str(e))
                """).limits(Limits.builder().wallTime(Duration.ofSeconds(60)).memoryBytes(32L << 20).build())
                .build());
        assertThat(r.status()).as("%s", r.error()).isEqualTo(Status.OK);
        assertThat(r.stdout()).isEqualTo("""
                external: None
                external DTD: ok
                bomb: True
                wide: True
                """);
    }
}
