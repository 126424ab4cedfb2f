//! What the link saw of HTTP/1.1: each request and its answer, as far as they got through.
//! Passive: the bytes are parsed as they are passed on, never changed.

use std::sync::Mutex;

/// One request and its answer, as the link passed them on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exchange {
    /// Which connection (numbered from 1 in the order they were opened).
    pub connection: u64,
    pub method: String,
    pub path: String,
    /// The request's headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The request's body as delivered to the server (all of it when `request_complete`).
    pub body: Vec<u8>,
    pub request_complete: bool,
    pub status: Option<u16>,
    /// Bytes of the answer's body delivered to the device.
    pub response_bytes: u64,
    /// The whole answer reached the device.
    pub response_complete: bool,
}

impl Exchange {
    /// A request header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Where a message's parser stands.
#[derive(Debug)]
enum State {
    /// Reading the head (up to the empty line).
    Head(Vec<u8>),
    /// So many body bytes left.
    Fixed(u64),
    /// Reading a chunk's size line.
    ChunkSize(Vec<u8>),
    /// So many bytes of the current chunk left, then its CRLF.
    ChunkData(u64),
    /// So many bytes of a chunk's closing CRLF left.
    ChunkEnd(u8),
    /// After the last chunk: trailer lines until an empty one.
    Trailer(Vec<u8>),
    /// The body runs until the connection closes.
    UntilClose,
}

/// What a parser found in the bytes it was given.
enum Part<'a> {
    Head(String),
    Body(&'a [u8]),
    End,
}

#[derive(Debug)]
struct Parser {
    state: State,
}

impl Parser {
    fn new() -> Self {
        Self {
            state: State::Head(Vec::new()),
        }
    }

    /// Feeds `bytes`; `body_of` says, once a head is read, how its body is framed.
    fn feed<'a>(
        &mut self,
        mut bytes: &'a [u8],
        mut body_of: impl FnMut(&str) -> State,
        out: &mut Vec<Part<'a>>,
    ) {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Head(buf) => {
                    let before = buf.len();
                    buf.extend_from_slice(bytes);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..i + 4]).into_owned();
                        bytes = &bytes[i + 4 - before..];
                        self.state = body_of(&head);
                        out.push(Part::Head(head));
                        if matches!(self.state, State::Fixed(0)) {
                            self.state = State::Head(Vec::new());
                            out.push(Part::End);
                        }
                    } else {
                        bytes = &[];
                    }
                }
                State::Fixed(left) => {
                    let n = (*left).min(bytes.len() as u64) as usize;
                    out.push(Part::Body(&bytes[..n]));
                    bytes = &bytes[n..];
                    *left -= n as u64;
                    if *left == 0 {
                        self.state = State::Head(Vec::new());
                        out.push(Part::End);
                    }
                }
                State::ChunkSize(line) => {
                    let b = bytes[0];
                    bytes = &bytes[1..];
                    line.push(b);
                    if line.ends_with(b"\r\n") {
                        let text = String::from_utf8_lossy(&line[..line.len() - 2]).into_owned();
                        let hex = text.split(';').next().unwrap_or("").trim();
                        let size = u64::from_str_radix(hex, 16).unwrap_or(0);
                        self.state = if size == 0 {
                            State::Trailer(Vec::new())
                        } else {
                            State::ChunkData(size)
                        };
                    }
                }
                State::ChunkData(left) => {
                    let n = (*left).min(bytes.len() as u64) as usize;
                    out.push(Part::Body(&bytes[..n]));
                    bytes = &bytes[n..];
                    *left -= n as u64;
                    if *left == 0 {
                        self.state = State::ChunkEnd(2);
                    }
                }
                State::ChunkEnd(left) => {
                    bytes = &bytes[1..];
                    *left -= 1;
                    if *left == 0 {
                        self.state = State::ChunkSize(Vec::new());
                    }
                }
                State::Trailer(line) => {
                    let b = bytes[0];
                    bytes = &bytes[1..];
                    line.push(b);
                    if line.ends_with(b"\r\n") {
                        if line.len() == 2 {
                            self.state = State::Head(Vec::new());
                            out.push(Part::End);
                        } else {
                            line.clear();
                        }
                    }
                }
                State::UntilClose => {
                    out.push(Part::Body(bytes));
                    bytes = &[];
                }
            }
        }
    }
}

/// A head's first line and its headers (names in lower case).
fn parse_head(head: &str) -> (String, Vec<(String, String)>) {
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (first, headers)
}

/// How a message with these headers frames its body (an answer without a length runs until
/// the connection closes; a request without one has none).
fn framing(headers: &[(String, String)], until_close: bool) -> State {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.to_ascii_lowercase())
    };
    if get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        State::ChunkSize(Vec::new())
    } else if let Some(n) = get("content-length").and_then(|v| v.parse().ok()) {
        State::Fixed(n)
    } else if until_close {
        State::UntilClose
    } else {
        State::Fixed(0)
    }
}

/// One connection's two directions, and which entries of the link's log they fill.
#[derive(Debug)]
pub(super) struct Connection {
    id: u64,
    requests: Parser,
    responses: Parser,
    /// Log indices of this connection's requests whose answers have not ended.
    waiting: std::collections::VecDeque<usize>,
    /// The log index of the request being read.
    reading: Option<usize>,
}

impl Connection {
    pub(super) fn new(id: u64) -> Self {
        Self {
            id,
            requests: Parser::new(),
            responses: Parser::new(),
            waiting: Default::default(),
            reading: None,
        }
    }

    /// Bytes delivered to the server.
    pub(super) fn sent_up(&mut self, bytes: &[u8], log: &Mutex<Vec<Exchange>>) {
        let mut parts = Vec::new();
        self.requests.feed(
            bytes,
            |head| framing(&parse_head(head).1, false),
            &mut parts,
        );
        let mut log = log.lock().expect("lock");
        for part in parts {
            match part {
                Part::Head(head) => {
                    let (first, headers) = parse_head(&head);
                    let mut words = first.split(' ');
                    log.push(Exchange {
                        connection: self.id,
                        method: words.next().unwrap_or_default().to_owned(),
                        path: words.next().unwrap_or_default().to_owned(),
                        headers,
                        ..Exchange::default()
                    });
                    self.reading = Some(log.len() - 1);
                    self.waiting.push_back(log.len() - 1);
                }
                Part::Body(b) => {
                    if let Some(e) = self.reading.and_then(|i| log.get_mut(i)) {
                        e.body.extend_from_slice(b);
                    }
                }
                Part::End => {
                    if let Some(e) = self.reading.take().and_then(|i| log.get_mut(i)) {
                        e.request_complete = true;
                    }
                }
            }
        }
    }

    /// Bytes delivered to the device.
    pub(super) fn sent_down(&mut self, bytes: &[u8], log: &Mutex<Vec<Exchange>>) {
        let mut log = log.lock().expect("lock");
        let current = self.waiting.front().copied();
        let head_request = current
            .and_then(|i| log.get(i))
            .is_some_and(|e| e.method == "HEAD");
        let mut parts = Vec::new();
        self.responses.feed(
            bytes,
            |head| {
                let (first, headers) = parse_head(head);
                let status: u16 = first
                    .split(' ')
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                if head_request || status == 204 || status == 304 || status < 200 {
                    State::Fixed(0)
                } else {
                    framing(&headers, true)
                }
            },
            &mut parts,
        );
        for part in parts {
            let Some(e) = self.waiting.front().and_then(|&i| log.get_mut(i)) else {
                continue;
            };
            match part {
                Part::Head(head) => {
                    let (first, _) = parse_head(&head);
                    e.status = first.split(' ').nth(1).and_then(|s| s.parse().ok());
                }
                Part::Body(b) => e.response_bytes += b.len() as u64,
                Part::End => {
                    e.response_complete = true;
                    self.waiting.pop_front();
                }
            }
        }
    }

    /// The connection closed (`cut`: by the link): an answer that runs until the close is
    /// complete only when the server closed it.
    pub(super) fn close(&mut self, cut: bool, log: &Mutex<Vec<Exchange>>) {
        if cut || !matches!(self.responses.state, State::UntilClose) {
            return;
        }
        if let Some(&i) = self.waiting.front()
            && let Some(e) = log.lock().expect("lock").get_mut(i)
        {
            e.response_complete = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_and_sized_answers_on_one_connection() {
        let log = Mutex::new(Vec::new());
        let mut c = Connection::new(1);
        c.sent_up(b"GET /a HTTP/1.1\r\nhost: x\r\n\r\n", &log);
        c.sent_up(b"PATCH /b HTTP/1.1\r\ncontent-length: 3\r\n\r\nab", &log);
        c.sent_up(b"c", &log);
        let first = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nwiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n";
        // Byte by byte, as a slow link might deliver it.
        for b in first {
            c.sent_down(&[*b], &log);
        }
        c.sent_down(b"HTTP/1.1 204 No Content\r\nupload-offset: 3\r\n\r\n", &log);
        let log = log.into_inner().unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!((log[0].status, log[0].response_bytes), (Some(200), 9));
        assert!(log[0].response_complete && log[0].request_complete);
        assert_eq!(log[1].body, b"abc");
        assert_eq!(log[1].header("content-length"), Some("3"));
        assert!(log[1].request_complete && log[1].response_complete);
        assert_eq!(log[1].status, Some(204));
    }
}
