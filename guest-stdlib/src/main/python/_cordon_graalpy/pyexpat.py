"""pyexpat for the sandbox, on the JDK's XML parser.

GraalPy's pyexpat is native code, which the sandbox does not run, so xml.etree.ElementTree,
xml.dom.minidom, xml.sax and plistlib could not parse. This module has pyexpat's interface: a parser
collects what it is fed, and when the last part comes (Parse(data, True)) the host parses the whole
document with the JDK's parser (no external DTD or entity is loaded; entity expansion is bounded) and the
events are replayed to the handlers the guest set, in document order.

What differs from expat: events come when the document is complete, not as it is fed (an incremental
parse, such as iterparse, yields them at the end); error messages are the JDK's; the handlers for the
DTD's declarations, for the XML declaration and the default handler are never called; internal entities
are expanded by the parser.
"""

import sys

EXPAT_VERSION = "expat_2.6.0 (JDK XML parser)"
version_info = (2, 6, 0)
native_encoding = "UTF-8"
features = [("sizeof(XML_Char)", 1), ("sizeof(XML_LChar)", 1)]
XML_PARAM_ENTITY_PARSING_NEVER = 0
XML_PARAM_ENTITY_PARSING_UNLESS_STANDALONE = 1
XML_PARAM_ENTITY_PARSING_ALWAYS = 2


class ExpatError(Exception):
    pass


error = ExpatError


class _Namespace(object):
    def __init__(self, name, **values):
        self.__name__ = name
        self.__dict__.update(values)


XML_ERROR_SYNTAX = 2
errors = _Namespace(
    "pyexpat.errors", XML_ERROR_SYNTAX="syntax error", XML_ERROR_NO_MEMORY="out of memory",
    XML_ERROR_INVALID_TOKEN="not well-formed (invalid token)", XML_ERROR_UNDEFINED_ENTITY="undefined entity",
    XML_ERROR_TAG_MISMATCH="mismatched tag", XML_ERROR_NO_ELEMENTS="no element found",
    codes={"syntax error": XML_ERROR_SYNTAX}, messages={XML_ERROR_SYNTAX: "syntax error"})
model = _Namespace("pyexpat.model", XML_CTYPE_EMPTY=1, XML_CTYPE_ANY=2, XML_CTYPE_MIXED=3, XML_CTYPE_NAME=4,
                   XML_CTYPE_CHOICE=5, XML_CTYPE_SEQ=6, XML_CQUANT_NONE=0, XML_CQUANT_OPT=1,
                   XML_CQUANT_REP=2, XML_CQUANT_PLUS=3)

_HANDLERS = (
    "StartElementHandler", "EndElementHandler", "ProcessingInstructionHandler", "CharacterDataHandler",
    "UnparsedEntityDeclHandler", "NotationDeclHandler", "StartNamespaceDeclHandler", "EndNamespaceDeclHandler",
    "CommentHandler", "StartCdataSectionHandler", "EndCdataSectionHandler", "DefaultHandler",
    "DefaultHandlerExpand", "NotStandaloneHandler", "ExternalEntityRefHandler", "StartDoctypeDeclHandler",
    "EndDoctypeDeclHandler", "EntityDeclHandler", "XmlDeclHandler", "ElementDeclHandler", "AttlistDeclHandler",
    "SkippedEntityHandler",
)


def ErrorString(code):
    """Returns string error for given number."""
    return errors.messages.get(code)


def ParserCreate(encoding=None, namespace_separator=None, intern=None):
    """Return a new XML parser object."""
    if encoding is not None and not isinstance(encoding, str):
        raise TypeError("ParserCreate() argument 'encoding' must be str or None, not %s" % type(encoding).__name__)
    if namespace_separator is not None:
        if not isinstance(namespace_separator, str):
            raise TypeError("ParserCreate() argument 'namespace_separator' must be str or None, not %s"
                            % type(namespace_separator).__name__)
        if len(namespace_separator) > 1:
            raise ValueError("namespace_separator must be at most one character, omitted, or None")
    return XMLParserType(encoding, namespace_separator, intern)


class XMLParserType(object):
    """XML parser"""

    def __init__(self, encoding, separator, intern):
        self._encoding = encoding
        self._separator = separator
        self._parts = []
        self._text = None
        self._done = False
        self.intern = {} if intern is None else intern
        self.buffer_text = False
        self.buffer_size = 8192
        self.buffer_used = 0
        self.ordered_attributes = False
        self.specified_attributes = False
        self.namespace_prefixes = False
        self.ErrorCode = 0
        self.ErrorLineNumber = 1
        self.ErrorColumnNumber = 0
        self.ErrorByteIndex = -1
        self.CurrentLineNumber = 1
        self.CurrentColumnNumber = 0
        self.CurrentByteIndex = -1
        for name in _HANDLERS:
            setattr(self, name, None)

    def Parse(self, data, isfinal=False):
        """Parse XML data; isfinal should be true at the end of the data."""
        if self._done:
            self._raise("parsing finished", 0, 0, 33)
        if isinstance(data, str):
            if self._text is False:
                data = data.encode("utf-8")
            else:
                self._text = True
        elif data:
            data = bytes(data)
            if self._text:
                data = data.decode(self._encoding or "utf-8")
            else:
                self._text = False
        if data:
            self._parts.append(data)
        if isfinal:
            self._done = True
            self._parse()
        return 1

    def ParseFile(self, file):
        """Parse XML data from file-like object."""
        while True:
            data = file.read(1 << 16)
            if not data:
                break
            self.Parse(data, False)
        return self.Parse(b"", True)

    def _parse(self):
        import json
        from _cordon_graalpy import guard
        import cordon
        text = bool(self._text)
        document = ("" if text else b"").join(self._parts)
        self._parts = []
        if not text:
            document = document.decode("latin-1")
        answer = json.loads(cordon._bridge.xmlEvents(document, not text, self._encoding, self._separator,
                                                     guard._limit[0]))
        if "error" in answer:
            self._raise(answer["error"], answer["line"], answer["column"], XML_ERROR_SYNTAX)
        if not answer["events"]:
            self._raise("no element found", 1, 0, 3)
        self._replay(answer["events"])

    def _replay(self, events):
        for event in events:
            kind = event[0]
            if kind == "s":
                handler = self.StartElementHandler
                if handler is not None:
                    attributes = event[2]
                    if not self.ordered_attributes:
                        attributes = dict(zip(attributes[0::2], attributes[1::2]))
                    handler(event[1], attributes)
            elif kind == "e":
                if self.EndElementHandler is not None:
                    self.EndElementHandler(event[1])
            elif kind == "d":
                if self.CharacterDataHandler is not None:
                    self.CharacterDataHandler(event[1])
            elif kind == "c":
                if self.CommentHandler is not None:
                    self.CommentHandler(event[1])
            elif kind == "p":
                if self.ProcessingInstructionHandler is not None:
                    self.ProcessingInstructionHandler(event[1], event[2])
            elif kind == "ns":
                if self.StartNamespaceDeclHandler is not None:
                    self.StartNamespaceDeclHandler(event[1] or None, event[2])
            elif kind == "ne":
                if self.EndNamespaceDeclHandler is not None:
                    self.EndNamespaceDeclHandler(event[1] or None)

    def _raise(self, message, line, column, code):
        self.ErrorCode = code
        self.ErrorLineNumber = line
        self.ErrorColumnNumber = column
        e = ExpatError("%s: line %d, column %d" % (message, line, column))
        e.code = code
        e.lineno = line
        e.offset = column
        raise e

    def GetBase(self):
        return getattr(self, "_base", None)

    def SetBase(self, base):
        self._base = base

    def GetInputContext(self):
        return None

    def ExternalEntityParserCreate(self, context, encoding=None):
        raise ExpatError("external entities are not loaded in the sandbox")

    def SetParamEntityParsing(self, flag):
        return 1

    def UseForeignDTD(self, flag=True):
        pass

    def GetReparseDeferralEnabled(self):
        return False

    def SetReparseDeferralEnabled(self, enabled):
        pass


sys.modules.setdefault("pyexpat.errors", errors)
sys.modules.setdefault("pyexpat.model", model)
