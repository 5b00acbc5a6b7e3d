//! YAML text to documents, built from yaml-rust2's marked events so that every
//! field path gets the line it was written on.
//!
//! The events are pulled one at a time and nesting is tracked on an explicit stack
//! (yaml-rust2's own `Parser::load` recurses once per nesting level), and the number
//! of nodes, including everything aliases expand to, is capped.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::{Map, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, ScanError, TScalarStyle};

use super::scalar::{collection_tag_ok, display_tag, resolve_plain, resolve_tagged};
use super::{Document, MAX_DEPTH, MAX_NODES, index_path, key_path};
use crate::error::Problem;

/// Parses every document of a YAML text.
pub(super) fn parse(text: &str) -> Result<Vec<Document>, Vec<Problem>> {
    // yaml-rust2 has internal assertions; whatever the input, a bug there must
    // become a problem report, not a crash.
    catch_unwind(AssertUnwindSafe(|| build(text))).unwrap_or_else(|_| {
        Err(vec![Problem::new(
            "",
            "the YAML parser failed on this input (internal error)",
        )])
    })
}

fn build(text: &str) -> Result<Vec<Document>, Vec<Problem>> {
    let mut parser = Parser::new_from_str(text);
    let mut builder = Builder::default();
    loop {
        match parser.next_token() {
            Ok((event, mark)) => {
                let end = event == Event::StreamEnd;
                builder.on_event(event, mark);
                if end || builder.fatal {
                    break;
                }
            }
            Err(e) => {
                builder.problems.push(syntax_problem(&e));
                break;
            }
        }
    }
    if builder.problems.is_empty() {
        Ok(builder.docs)
    } else {
        Err(builder.problems)
    }
}

fn syntax_problem(e: &ScanError) -> Problem {
    let mark = e.marker();
    Problem::new(
        "",
        format!("invalid YAML: {} (column {})", e.info(), mark.col() + 1),
    )
    .at_line(Some(mark.line()))
}

/// A value stored under an anchor, ready to be copied by aliases.
struct Anchored {
    value: Value,
    /// Nodes the value consists of.
    nodes: usize,
    /// Levels of nested collections in the value (0 for a scalar).
    height: usize,
}

/// What a mapping expects next.
enum KeyState {
    /// A key.
    Key,
    /// The value of this key, at this path.
    Value { key: String, path: Option<String> },
    /// A value to drop (its key was a duplicate or not a string).
    Discard,
}

/// An open collection.
struct Frame {
    /// Field path, `None` inside keys and dropped values (no lines recorded there).
    path: Option<String>,
    line: usize,
    anchor: usize,
    /// Node count when the collection started.
    nodes_before: usize,
    /// Levels of nested collections below this one so far.
    height: usize,
    kind: FrameKind,
}

enum FrameKind {
    Seq(Vec<Value>),
    Map(Map<String, Value>, KeyState),
}

#[derive(Default)]
struct Builder {
    docs: Vec<Document>,
    root: Option<Value>,
    lines: HashMap<String, usize>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    nodes: usize,
    problems: Vec<Problem>,
    /// Set when building must stop (limits exceeded).
    fatal: bool,
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let line = mark.line();
        match event {
            Event::DocumentStart => {
                self.root = None;
                self.lines.clear();
                self.anchors.clear();
            }
            Event::DocumentEnd => {
                let value = self.root.take().unwrap_or(Value::Null);
                let mut doc = Document::new(value);
                doc.lines = std::mem::take(&mut self.lines);
                self.docs.push(doc);
            }
            Event::Scalar(text, style, anchor, tag) => self.scalar(text, style, anchor, tag, line),
            Event::Alias(id) => self.alias(id, line),
            Event::SequenceStart(anchor, tag) => self.open(anchor, tag, line, false),
            Event::MappingStart(anchor, tag) => self.open(anchor, tag, line, true),
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            Event::Nothing | Event::StreamStart | Event::StreamEnd => {}
        }
    }
}

impl Builder {
    fn scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        anchor: usize,
        tag: Option<Tag>,
        line: usize,
    ) {
        if !self.count(1, line) {
            return;
        }
        let path = self.start_node(line);
        let value = match (&tag, style) {
            (Some(tag), _) => match resolve_tagged(&text, tag) {
                Ok(value) => value,
                Err(message) => {
                    self.problem(path.as_deref(), message, line);
                    Value::String(text)
                }
            },
            (None, TScalarStyle::Plain) => resolve_plain(&text),
            (None, _) => Value::String(text),
        };
        if anchor > 0 {
            self.remember(anchor, &value, 1, 0);
        }
        self.finish(value, 0, line);
    }

    fn alias(&mut self, id: usize, line: usize) {
        let Some(target) = self.anchors.get(&id) else {
            self.problem(None, "alias to an unknown anchor", line);
            return;
        };
        let (nodes, height) = (target.nodes, target.height);
        if self.stack.len() + height > MAX_DEPTH {
            self.fail(too_deep(), line);
            return;
        }
        if !self.count(nodes, line) {
            return;
        }
        let Some(value) = self.anchors.get(&id).map(|t| t.value.clone()) else {
            return;
        };
        self.start_node(line);
        self.finish(value, height, line);
    }

    fn open(&mut self, anchor: usize, tag: Option<Tag>, line: usize, is_map: bool) {
        if self.stack.len() >= MAX_DEPTH {
            self.fail(too_deep(), line);
            return;
        }
        let nodes_before = self.nodes;
        if !self.count(1, line) {
            return;
        }
        let path = self.start_node(line);
        if let Some(tag) = tag.filter(|t| !collection_tag_ok(t, is_map)) {
            let message = format!("unsupported tag `{}`", display_tag(&tag));
            self.problem(path.as_deref(), message, line);
        }
        let kind = if is_map {
            FrameKind::Map(Map::new(), KeyState::Key)
        } else {
            FrameKind::Seq(Vec::new())
        };
        self.stack.push(Frame {
            path,
            line,
            anchor,
            nodes_before,
            height: 0,
            kind,
        });
    }

    fn close(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        let value = match frame.kind {
            FrameKind::Seq(items) => Value::Array(items),
            FrameKind::Map(map, _) => Value::Object(map),
        };
        let height = frame.height + 1;
        if frame.anchor > 0 {
            let nodes = self.nodes.saturating_sub(frame.nodes_before);
            self.remember(frame.anchor, &value, nodes, height);
        }
        self.finish(value, height, frame.line);
    }

    /// Counts `n` new nodes; false (and building stops) past [`MAX_NODES`].
    fn count(&mut self, n: usize, line: usize) -> bool {
        match self.nodes.checked_add(n) {
            Some(total) if total <= MAX_NODES => {
                self.nodes = total;
                true
            }
            _ => {
                self.fail(too_many_nodes(), line);
                false
            }
        }
    }

    fn remember(&mut self, anchor: usize, value: &Value, nodes: usize, height: usize) {
        let anchored = Anchored {
            value: value.clone(),
            nodes,
            height,
        };
        self.anchors.insert(anchor, anchored);
    }

    /// The path of the node starting now, recording its line; `None` for keys and
    /// dropped values.
    fn start_node(&mut self, line: usize) -> Option<String> {
        let path = match self.stack.last() {
            None => Some(String::new()),
            Some(frame) => match (&frame.kind, &frame.path) {
                (FrameKind::Seq(items), Some(p)) => Some(index_path(p, items.len())),
                (FrameKind::Map(_, KeyState::Value { path, .. }), _) => path.clone(),
                _ => None,
            },
        };
        if let Some(p) = &path {
            // A mapping value keeps the line of its key, recorded already.
            self.lines.entry(p.clone()).or_insert(line);
        }
        path
    }

    /// Puts a completed node where it belongs.
    fn finish(&mut self, value: Value, height: usize, line: usize) {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(value);
            return;
        };
        frame.height = frame.height.max(height);
        let (map, state) = match &mut frame.kind {
            FrameKind::Seq(items) => {
                items.push(value);
                return;
            }
            FrameKind::Map(map, state) => (map, state),
        };
        let key = match std::mem::replace(state, KeyState::Key) {
            KeyState::Value { key, .. } => {
                map.insert(key, value);
                return;
            }
            KeyState::Discard => return,
            KeyState::Key => value,
        };
        // The node just finished is a key.
        let frame_path = frame.path.as_deref();
        let Value::String(key) = key else {
            *state = KeyState::Discard;
            let message = format!("mapping keys must be strings, found {}", kind(&key));
            let problem = Problem::new(frame_path.unwrap_or_default(), message);
            self.problems.push(problem.at_line(Some(line)));
            return;
        };
        let path = frame_path.map(|p| key_path(p, &key));
        if map.contains_key(&key) {
            *state = KeyState::Discard;
            let message = match path.as_ref().and_then(|p| self.lines.get(p)) {
                Some(first) => format!("duplicate key {key:?} (first at line {first})"),
                None => format!("duplicate key {key:?}"),
            };
            let problem = Problem::new(path.unwrap_or_default(), message);
            self.problems.push(problem.at_line(Some(line)));
            return;
        }
        if let Some(p) = &path {
            self.lines.insert(p.clone(), line);
        }
        *state = KeyState::Value { key, path };
    }

    fn problem(&mut self, path: Option<&str>, message: impl Into<String>, line: usize) {
        let problem = Problem::new(path.unwrap_or_default(), message).at_line(Some(line));
        self.problems.push(problem);
    }

    fn fail(&mut self, message: String, line: usize) {
        self.fatal = true;
        self.problem(None, message, line);
    }
}

fn too_deep() -> String {
    format!("document is nested more than {MAX_DEPTH} levels deep")
}

fn too_many_nodes() -> String {
    format!("document expands to more than {MAX_NODES} nodes (too many aliases?)")
}

/// A short description of a value for messages.
fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "a sequence".to_string(),
        Value::Object(_) => "a mapping".to_string(),
    }
}
