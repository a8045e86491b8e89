package io.mcp.core.xml;

import jakarta.xml.bind.JAXBContext;
import jakarta.xml.bind.JAXBException;
import jakarta.xml.bind.Marshaller;
import jakarta.xml.bind.UnmarshalException;
import jakarta.xml.bind.Unmarshaller;
import jakarta.xml.bind.ValidationEvent;
import jakarta.xml.bind.ValidationEventLocator;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

/**
 * Every XML file MCP reads goes through here: JAXB over a StAX reader with DTDs and external
 * entities off. A document that declares a DTD is refused outright, and every failure names
 * the file, line and reason.
 */
public final class XmlFiles {
    private static final Map<Class<?>, JAXBContext> CONTEXTS = new ConcurrentHashMap<>();
    private static final XMLInputFactory INPUT = secureInputFactory();

    private XmlFiles() {
    }

    public static <T> T read(Path file, Class<T> type) throws XmlException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(file, in, type);
        } catch (IOException e) {
            throw new XmlException(file, 0, "cannot read: " + e.getMessage());
        }
    }

    public static <T> T read(Path file, InputStream in, Class<T> type) throws XmlException {
        XMLStreamReader reader = null;
        try {
            reader = INPUT.createXMLStreamReader(in);
            advanceToRoot(file, reader);
            Unmarshaller u = context(type).createUnmarshaller();
            ValidationEvent[] firstError = new ValidationEvent[1];
            u.setEventHandler(event -> {
                if (firstError[0] == null && event.getSeverity() != ValidationEvent.WARNING) {
                    firstError[0] = event;
                }
                return event.getSeverity() == ValidationEvent.WARNING;
            });
            String root = reader.getLocalName();
            T value = u.unmarshal(reader, type).getValue();
            if (firstError[0] != null) {
                throw fromEvent(file, firstError[0]);
            }
            String expected = rootName(type);
            if (expected != null && !expected.equals(root)) {
                throw new XmlException(file, 1, "root element is <" + root + ">, expected <" + expected + ">");
            }
            return value;
        } catch (XMLStreamException e) {
            throw fromStream(file, e);
        } catch (UnmarshalException e) {
            if (e.getLinkedException() instanceof XMLStreamException xse) {
                throw fromStream(file, xse);
            }
            throw new XmlException(file, 0, String.valueOf(e.getMessage() != null ? e.getMessage() : e.getLinkedException()));
        } catch (JAXBException e) {
            throw new XmlException(file, 0, "cannot bind: " + e);
        } finally {
            if (reader != null) {
                try {
                    reader.close();
                } catch (XMLStreamException ignored) {
                    // the stream itself is closed by the caller
                }
            }
        }
    }

    /** Writes {@code value} as a formatted XML document. */
    public static void write(Object value, Writer out) throws IOException {
        try {
            Marshaller m = context(value.getClass()).createMarshaller();
            m.setProperty(Marshaller.JAXB_FORMATTED_OUTPUT, true);
            m.marshal(value, out);
        } catch (JAXBException e) {
            throw new IOException("cannot write " + value.getClass().getSimpleName() + " as XML: " + e, e);
        }
    }

    private static void advanceToRoot(Path file, XMLStreamReader reader) throws XMLStreamException, XmlException {
        while (reader.hasNext()) {
            int event = reader.next();
            if (event == XMLStreamConstants.DTD) {
                throw new XmlException(file, reader.getLocation().getLineNumber(),
                        "DOCTYPE declarations are not allowed (DTDs and external entities are refused)");
            }
            if (event == XMLStreamConstants.START_ELEMENT) {
                return;
            }
        }
        throw new XmlException(file, reader.getLocation().getLineNumber(), "no root element (empty or truncated file)");
    }

    private static JAXBContext context(Class<?> type) {
        return CONTEXTS.computeIfAbsent(type, t -> {
            try {
                // The implementation named, so that JAXB does not look through every jar for one.
                return JAXBContext.newInstance(new Class<?>[] {t},
                        Map.of(JAXBContext.JAXB_CONTEXT_FACTORY, "org.glassfish.jaxb.runtime.v2.JAXBContextFactory"));
            } catch (JAXBException e) {
                throw new IllegalStateException("JAXB cannot bind " + t, e);
            }
        });
    }

    private static String rootName(Class<?> type) {
        var root = type.getAnnotation(jakarta.xml.bind.annotation.XmlRootElement.class);
        return root == null || "##default".equals(root.name()) ? null : root.name();
    }

    private static XmlException fromStream(Path file, XMLStreamException e) {
        Location loc = e.getLocation();
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        // StAX prefixes "ParseError at [row,col]:[l,c]\nMessage: "; keep only the reason.
        int idx = msg.indexOf("Message: ");
        if (idx >= 0) {
            msg = msg.substring(idx + "Message: ".length());
        }
        return new XmlException(file, loc == null ? 0 : loc.getLineNumber(), msg.trim());
    }

    private static XmlException fromEvent(Path file, ValidationEvent event) {
        ValidationEventLocator loc = event.getLocator();
        return new XmlException(file, loc == null ? 0 : loc.getLineNumber(), event.getMessage());
    }

    private static XMLInputFactory secureInputFactory() {
        // The JDK's own parser, without a look through every jar on the class path for another.
        XMLInputFactory f = XMLInputFactory.newDefaultFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        return f;
    }
}
