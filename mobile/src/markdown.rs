//! Markdown (the society's policy, what headquarters publishes in the library) read into a
//! small tree the UI renders as elements: headings, paragraphs, lists (nested, bulleted or
//! numbered), strong and emphasis. Nothing else is kept: no raw HTML, links or images (the
//! text is shown as text), so a published document can never put markup or script in the app.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

/// A run of text and its style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub strong: bool,
    pub emphasis: bool,
}

/// A block of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A heading, level 1 to 3 (deeper levels are shown as 3).
    Heading(u8, Vec<Span>),
    Paragraph(Vec<Span>),
    /// A list; each item is its own blocks (a paragraph, and maybe a nested list).
    List {
        ordered: bool,
        start: u64,
        items: Vec<Vec<Block>>,
    },
}

enum Frame {
    Root(Vec<Block>),
    List {
        ordered: bool,
        start: u64,
        items: Vec<Vec<Block>>,
    },
    Item(Vec<Block>),
}

impl Frame {
    fn blocks(&mut self) -> Option<&mut Vec<Block>> {
        match self {
            Frame::Root(b) | Frame::Item(b) => Some(b),
            Frame::List { .. } => None,
        }
    }
}

struct Reader {
    stack: Vec<Frame>,
    /// The spans of the heading or paragraph being read (an item's text in a tight list has
    /// no paragraph around it: it starts one).
    inline: Option<(Option<u8>, Vec<Span>)>,
    strong: u32,
    emphasis: u32,
}

impl Reader {
    fn push_block(&mut self, block: Block) {
        if let Some(blocks) = self.stack.last_mut().and_then(Frame::blocks) {
            blocks.push(block);
        }
    }

    fn flush(&mut self) {
        if let Some((level, spans)) = self.inline.take()
            && !spans.iter().all(|s| s.text.trim().is_empty())
        {
            self.push_block(match level {
                Some(l) => Block::Heading(l, spans),
                None => Block::Paragraph(spans),
            });
        }
    }

    fn text(&mut self, text: &str) {
        let (strong, emphasis) = (self.strong > 0, self.emphasis > 0);
        let (_, spans) = self.inline.get_or_insert_with(|| (None, Vec::new()));
        match spans.last_mut() {
            Some(last) if last.strong == strong && last.emphasis == emphasis => {
                last.text.push_str(text)
            }
            _ => spans.push(Span {
                text: text.to_owned(),
                strong,
                emphasis,
            }),
        }
    }
}

/// Reads `text` as markdown.
pub fn parse(text: &str) -> Vec<Block> {
    let mut r = Reader {
        stack: vec![Frame::Root(Vec::new())],
        inline: None,
        strong: 0,
        emphasis: 0,
    };
    for event in Parser::new(text) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                r.flush();
                let level = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    _ => 3,
                };
                r.inline = Some((Some(level), Vec::new()));
            }
            Event::Start(Tag::Paragraph) => {
                r.flush();
                r.inline = Some((None, Vec::new()));
            }
            Event::End(TagEnd::Heading(_) | TagEnd::Paragraph) => r.flush(),
            Event::Start(Tag::List(start)) => {
                r.flush();
                r.stack.push(Frame::List {
                    ordered: start.is_some(),
                    start: start.unwrap_or(1),
                    items: Vec::new(),
                });
            }
            Event::End(TagEnd::List(_)) => {
                r.flush();
                if let Some(Frame::List {
                    ordered,
                    start,
                    items,
                }) = r.stack.pop()
                {
                    r.push_block(Block::List {
                        ordered,
                        start,
                        items,
                    });
                }
            }
            Event::Start(Tag::Item) => {
                r.flush();
                r.stack.push(Frame::Item(Vec::new()));
            }
            Event::End(TagEnd::Item) => {
                r.flush();
                if let Some(Frame::Item(blocks)) = r.stack.pop()
                    && let Some(Frame::List { items, .. }) = r.stack.last_mut()
                {
                    items.push(blocks);
                }
            }
            Event::Start(Tag::Strong) => r.strong += 1,
            Event::End(TagEnd::Strong) => r.strong = r.strong.saturating_sub(1),
            Event::Start(Tag::Emphasis) => r.emphasis += 1,
            Event::End(TagEnd::Emphasis) => r.emphasis = r.emphasis.saturating_sub(1),
            Event::Text(t) | Event::Code(t) => r.text(&t),
            // Raw HTML is shown as the text it is, never as markup.
            Event::Html(t) | Event::InlineHtml(t) => r.text(&t),
            Event::SoftBreak | Event::HardBreak => r.text(" "),
            _ => {}
        }
    }
    r.flush();
    match r.stack.into_iter().next() {
        Some(Frame::Root(blocks)) => blocks,
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(spans: &[Span]) -> String {
        spans.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn headings_paragraphs_lists_and_emphasis() {
        let doc = parse(
            "# سياسة\n\nتضع **جمعية القرينة** السياسات *كلها*.\n\n## القنوات\n\n1. المقابلة\n2. الهاتف\n\n- هدف:\n   1. أول\n   2. ثانٍ\n",
        );
        assert_eq!(doc.len(), 5, "{doc:?}");
        assert!(matches!(&doc[0], Block::Heading(1, s) if plain(s) == "سياسة"));
        let Block::Paragraph(p) = &doc[1] else {
            panic!("{doc:?}")
        };
        assert_eq!(plain(p), "تضع جمعية القرينة السياسات كلها.");
        assert!(p.iter().any(|s| s.strong && s.text == "جمعية القرينة"));
        assert!(p.iter().any(|s| s.emphasis && s.text == "كلها"));
        let Block::List { ordered, items, .. } = &doc[3] else {
            panic!("{doc:?}")
        };
        assert!(*ordered);
        assert_eq!(items.len(), 2);
        let Block::List { ordered, items, .. } = &doc[4] else {
            panic!("{doc:?}")
        };
        assert!(!*ordered);
        assert!(
            matches!(&items[0][1], Block::List { ordered: true, items, .. } if items.len() == 2),
            "a nested list: {items:?}"
        );
    }

    #[test]
    fn markup_is_shown_as_text() {
        let doc = parse("<script>alert(1)</script>\n\n[a link](http://x) ![img](http://y)");
        let text: String = doc
            .iter()
            .map(|b| match b {
                Block::Paragraph(s) | Block::Heading(_, s) => plain(s),
                Block::List { .. } => String::new(),
            })
            .collect();
        assert!(text.contains("<script>"), "{text}");
        assert!(text.contains("a link") && !text.contains("http://x"));
    }

    /// Both policies read as structured documents, with no markdown left in their text.
    #[test]
    fn the_policies_have_no_raw_markdown() {
        for text in [
            include_str!("../../assets/library/policy-ar.md"),
            include_str!("../../assets/library/policy-en.md"),
        ] {
            let doc = parse(text);
            assert!(
                doc.iter()
                    .filter(|b| matches!(b, Block::Heading(..)))
                    .count()
                    >= 4
            );
            assert!(doc.iter().any(|b| matches!(b, Block::List { .. })));
            let mut texts = Vec::new();
            fn walk(blocks: &[Block], out: &mut Vec<String>) {
                for b in blocks {
                    match b {
                        Block::Heading(_, s) | Block::Paragraph(s) => out.push(plain(s)),
                        Block::List { items, .. } => items.iter().for_each(|i| walk(i, out)),
                    }
                }
            }
            walk(&doc, &mut texts);
            for t in texts {
                assert!(!t.contains("**") && !t.starts_with('#'), "{t}");
            }
        }
    }
}
