//! The HTML being written, with escaping by construction: markup is `&'static str` (written in
//! this program), every other string (names, values, paths from the scanned repository) goes
//! through [`escape`]. A value from a repository therefore cannot open a tag or leave an
//! attribute.

use std::borrow::Cow;
use std::fmt::Display;

/// Text made safe for HTML element content and for quoted attribute values.
///
/// Written by hand: five replacements, which every HTML templating crate does the same way,
/// and the renderer needs no template engine for them.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// An HTML document under construction.
#[derive(Default)]
pub struct Page {
    out: String,
}

impl Page {
    pub fn finish(self) -> String {
        self.out
    }

    /// Markup written in this program.
    pub fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.out.push_str(markup);
        self
    }

    /// Element content: escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.out.push_str(&escape(text));
        self
    }

    /// Text where `backquoted` parts (setting names in findings' messages) are shown as code;
    /// an unpaired backquote stays as it is.
    pub fn code_spans(&mut self, text: &str) -> &mut Self {
        let parts: Vec<&str> = text.split('`').collect();
        if parts.len() % 2 == 0 {
            return self.text(text);
        }
        for (i, part) in parts.iter().enumerate() {
            if i % 2 == 1 {
                self.raw("<code>").text(part).raw("</code>");
            } else {
                self.text(part);
            }
        }
        self
    }

    /// A number or other value formatted with `Display`, escaped like any text.
    pub fn show(&mut self, value: impl Display) -> &mut Self {
        self.text(&value.to_string())
    }

    /// `<tag name="value" ...>`, values escaped; a value of `None` leaves its attribute out.
    pub fn open(&mut self, tag: &'static str, attrs: &[(&'static str, Option<&str>)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        for (name, value) in attrs {
            if let Some(value) = value {
                self.out.push(' ');
                self.out.push_str(name);
                self.out.push_str("=\"");
                self.out.push_str(&escape(value));
                self.out.push('"');
            }
        }
        self.out.push('>');
        self
    }

    pub fn close(&mut self, tag: &'static str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// `<tag attrs>text</tag>`.
    pub fn element(
        &mut self,
        tag: &'static str,
        attrs: &[(&'static str, Option<&str>)],
        text: &str,
    ) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// A line break in the source, so the page reads (and diffs) line by line.
    pub fn nl(&mut self) -> &mut Self {
        self.out.push('\n');
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped_in_text_and_attributes() {
        assert_eq!(
            escape(r#"<script>alert("x&y")</script> it's"#),
            "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt; it&#39;s"
        );
        assert!(matches!(escape("plain text"), Cow::Borrowed(_)));
        let mut p = Page::default();
        p.element("td", &[("title", Some("\"><script>"))], "<b>web</b>");
        assert_eq!(
            p.finish(),
            "<td title=\"&quot;&gt;&lt;script&gt;\">&lt;b&gt;web&lt;/b&gt;</td>"
        );
    }

    #[test]
    fn backquoted_parts_become_code_and_stay_escaped() {
        let mut p = Page::default();
        p.code_spans("`env.<X>` is on in `prod`");
        assert_eq!(
            p.finish(),
            "<code>env.&lt;X&gt;</code> is on in <code>prod</code>"
        );
        let mut p = Page::default();
        p.code_spans("one ` quote");
        assert_eq!(p.finish(), "one ` quote");
    }

    #[test]
    fn absent_attributes_are_left_out() {
        let mut p = Page::default();
        p.open("tr", &[("class", None), ("data-rule", Some("EP001"))]);
        assert_eq!(p.finish(), "<tr data-rule=\"EP001\">");
    }
}
