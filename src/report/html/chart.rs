//! Horizontal bar charts as inline SVG: one bar per labelled value, lengths proportional to the
//! largest value. Only geometry is worked out here; the values and their text come formatted.

use super::page::Page;

/// One bar: its label, its value (`None`: nothing to draw, such as "no limit") and the value
/// as people read it.
pub struct Bar<'a> {
    pub label: &'a str,
    pub value: Option<u64>,
    pub text: String,
}

const WIDTH: u32 = 640;
const LABEL_WIDTH: u32 = 150;
const VALUE_WIDTH: u32 = 190;
const ROW: u32 = 28;
const BAR: u32 = 18;

/// A `<figure>` with the chart and its caption; the SVG's `<title>` lists every value, so a
/// screen reader (or a printout without colour) reads the same as the picture shows.
pub fn bar_chart(page: &mut Page, caption: &str, bars: &[Bar]) {
    let max = bars.iter().filter_map(|b| b.value).max().unwrap_or(0);
    let height = ROW * bars.len() as u32 + 4;
    let track = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let summary: Vec<String> = bars
        .iter()
        .map(|b| format!("{}: {}", b.label, b.text))
        .collect();
    page.raw("<figure class=\"chart\">").nl();
    page.element("figcaption", &[], caption).nl();
    page.open(
        "svg",
        &[
            ("xmlns", Some("http://www.w3.org/2000/svg")),
            ("viewBox", Some(&format!("0 0 {WIDTH} {height}"))),
            ("width", Some(&WIDTH.to_string())),
            ("height", Some(&height.to_string())),
            ("role", Some("img")),
        ],
    );
    page.element("title", &[], &format!("{caption}: {}", summary.join("; ")));
    page.nl();
    for (i, b) in bars.iter().enumerate() {
        let top = ROW * i as u32 + 2;
        let text_y = (top + BAR / 2 + 5).to_string();
        page.open(
            "text",
            &[
                ("class", Some("label")),
                ("x", Some(&(LABEL_WIDTH - 8).to_string())),
                ("y", Some(&text_y)),
                ("text-anchor", Some("end")),
            ],
        )
        .text(&shorten(b.label))
        .close("text");
        let length = match b.value {
            Some(v) if max > 0 => ((u128::from(v) * u128::from(track)) / u128::from(max)) as u32,
            _ => 0,
        };
        if b.value.is_some() {
            page.open(
                "rect",
                &[
                    ("class", Some("bar")),
                    ("x", Some(&LABEL_WIDTH.to_string())),
                    ("y", Some(&top.to_string())),
                    // A value of zero still shows as a sliver, distinct from "nothing".
                    ("width", Some(&length.max(1).to_string())),
                    ("height", Some(&BAR.to_string())),
                ],
            )
            .close("rect");
        }
        page.open(
            "text",
            &[
                ("class", Some("value")),
                ("x", Some(&(LABEL_WIDTH + length + 6).to_string())),
                ("y", Some(&text_y)),
            ],
        )
        .text(&b.text)
        .close("text")
        .nl();
    }
    page.raw("</svg>").nl();
    page.raw("</figure>").nl();
}

/// Labels are environment and service names; a long one is cut so it stays in its column
/// (the `<title>` has it whole).
fn shorten(label: &str) -> String {
    const MAX: usize = 20;
    if label.chars().count() <= MAX {
        label.to_string()
    } else {
        let kept: String = label.chars().take(MAX - 1).collect();
        format!("{kept}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Vec<Bar<'static>> {
        vec![
            Bar {
                label: "staging",
                value: Some(1000),
                text: "1 CPU".into(),
            },
            Bar {
                label: "production",
                value: Some(4000),
                text: "4 CPU".into(),
            },
            Bar {
                label: "<dev>",
                value: None,
                text: "no limit".into(),
            },
        ]
    }

    #[test]
    fn bars_are_proportional_to_the_largest_value() {
        let mut page = Page::default();
        bar_chart(&mut page, "CPU limits", &bars());
        let svg = page.finish();
        let track = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
        assert!(svg.contains(&format!("width=\"{}\"", track / 4)), "{svg}");
        assert!(svg.contains(&format!("width=\"{track}\"")), "{svg}");
        // No bar for the value that has none; its text is there, escaped.
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(svg.contains("&lt;dev&gt;") && !svg.contains("<dev>"));
        assert!(svg.contains(
            "<title>CPU limits: staging: 1 CPU; production: 4 CPU; &lt;dev&gt;: no limit</title>"
        ));
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(
            shorten("a-very-long-service-name-indeed"),
            "a-very-long-service…"
        );
        assert_eq!(shorten("web"), "web");
    }
}
