//! The spec's lexer and parser: text → weighted calls (the grammar is in the module docs of
//! [`crate::spec`]).

use super::error::{Span, SpecError};

/// Lexes and parses `text` into its weighted calls.
pub(super) fn terms(text: &str) -> Result<Vec<Term>, SpecError> {
    let toks = lex(text)?;
    let mut parser = Parser { text, toks, at: 0 };
    if parser.peek().0 == Tok::End {
        return Err(SpecError::new(text, (0, 0), "the spec is empty")
            .allowed("a loss name, e.g. `dice`, or a weighted sum `0.5*dice + 0.5*ce`"));
    }
    parser.spec()
}

/// A token.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Open,
    Close,
    LBracket,
    RBracket,
    Comma,
    Eq,
    Star,
    Plus,
    Minus,
    End,
}

fn tok_name(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Num(_) => "a number".into(),
        Tok::Open => "`(`".into(),
        Tok::Close => "`)`".into(),
        Tok::LBracket => "`[`".into(),
        Tok::RBracket => "`]`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Eq => "`=`".into(),
        Tok::Star => "`*`".into(),
        Tok::Plus => "`+`".into(),
        Tok::Minus => "`-`".into(),
        Tok::End => "the end of the spec".into(),
    }
}

fn lex(text: &str) -> Result<Vec<(Tok, Span)>, SpecError> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let single = match c {
            b'(' => Some(Tok::Open),
            b')' => Some(Tok::Close),
            b'[' => Some(Tok::LBracket),
            b']' => Some(Tok::RBracket),
            b',' => Some(Tok::Comma),
            b'=' => Some(Tok::Eq),
            b'*' => Some(Tok::Star),
            b'+' => Some(Tok::Plus),
            b'-' => Some(Tok::Minus),
            _ => None,
        };
        if let Some(t) = single {
            out.push((t, (i, i + 1)));
            i += 1;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((Tok::Ident(text[start..i].to_string()), (start, i)));
        } else if c.is_ascii_digit() || c == b'.' {
            let digits = |i: &mut usize| {
                let s = *i;
                while *i < bytes.len() && bytes[*i].is_ascii_digit() {
                    *i += 1;
                }
                *i > s
            };
            let mut any = digits(&mut i);
            if i < bytes.len() && bytes[i] == b'.' {
                i += 1;
                any |= digits(&mut i);
            }
            if any && i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                let mut j = i + 1;
                if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                    j += 1;
                }
                if digits(&mut j) {
                    i = j;
                }
            }
            let word = &text[start..i];
            let bad = || {
                SpecError::new(
                    text,
                    (start, i.max(start + 1)),
                    format!("`{word}` is not a number"),
                )
            };
            if !any || (i < bytes.len() && (bytes[i].is_ascii_alphabetic() || bytes[i] == b'_')) {
                let mut end = i;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric()
                        || bytes[end] == b'_'
                        || bytes[end] == b'.')
                {
                    end += 1;
                }
                return Err(SpecError::new(
                    text,
                    (start, end.max(start + 1)),
                    format!("`{}` is not a number", &text[start..end.max(start + 1)]),
                ));
            }
            let value: f64 = word.parse().map_err(|_| bad())?;
            if !value.is_finite() {
                return Err(SpecError::new(
                    text,
                    (start, i),
                    format!("`{word}` is out of range"),
                ));
            }
            out.push((Tok::Num(value), (start, i)));
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            let end = i + ch.len_utf8();
            return Err(
                SpecError::new(text, (start, end), format!("unexpected character `{ch}`"))
                    .allowed("names, numbers, true/false, [lists], ( ) , = * + -"),
            );
        }
    }
    out.push((Tok::End, (text.len(), text.len())));
    Ok(out)
}

/// A parsed call `name(args)`.
#[derive(Clone, Debug)]
pub(super) struct Call {
    pub name: String,
    pub name_span: Span,
    pub args: Vec<Arg>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub(super) struct Arg {
    pub key: Option<(String, Span)>,
    pub value: Value,
}

#[derive(Clone, Debug)]
pub(super) enum ValueKind {
    Num(f64),
    Bool(bool),
    Name(String),
    List(Vec<f64>),
    Call(Call),
}

#[derive(Clone, Debug)]
pub(super) struct Value {
    pub kind: ValueKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub(super) struct Term {
    pub weight: f64,
    pub call: Call,
}

struct Parser<'t> {
    text: &'t str,
    toks: Vec<(Tok, Span)>,
    at: usize,
}

impl<'t> Parser<'t> {
    fn peek(&self) -> &(Tok, Span) {
        let last = self.toks.len() - 1;
        &self.toks[self.at.min(last)]
    }

    fn bump(&mut self) -> (Tok, Span) {
        let t = self.peek().clone();
        self.at += 1;
        t
    }

    fn err(&self, span: Span, msg: impl Into<String>) -> SpecError {
        SpecError::new(self.text, span, msg)
    }

    fn expected(&self, what: &str) -> SpecError {
        let (t, span) = self.peek();
        self.err(*span, format!("expected {what}, found {}", tok_name(t)))
    }

    fn spec(&mut self) -> Result<Vec<Term>, SpecError> {
        let mut terms = Vec::new();
        let mut sign = 1.0;
        if matches!(self.peek().0, Tok::Plus | Tok::Minus) && self.bump().0 == Tok::Minus {
            sign = -1.0;
        }
        loop {
            terms.push(self.term(sign)?);
            sign = match self.peek().0 {
                Tok::Plus => 1.0,
                Tok::Minus => -1.0,
                Tok::End => return Ok(terms),
                _ => return Err(self.expected("`+`, `-` or the end of the spec")),
            };
            self.bump();
        }
    }

    fn term(&mut self, sign: f64) -> Result<Term, SpecError> {
        match self.peek().0.clone() {
            Tok::Num(w) => {
                self.bump();
                if self.peek().0 != Tok::Star {
                    return Err(self.expected("`*` after the weight (e.g. `0.5*dice`)"));
                }
                self.bump();
                let call = self.call()?;
                Ok(Term {
                    weight: sign * w,
                    call,
                })
            }
            Tok::Ident(_) => {
                let call = self.call()?;
                let mut weight = sign;
                if self.peek().0 == Tok::Star {
                    self.bump();
                    match self.bump() {
                        (Tok::Num(w), _) => weight *= w,
                        (t, span) => {
                            return Err(self.err(
                                span,
                                format!("expected a weight after `*`, found {}", tok_name(&t)),
                            ))
                        }
                    }
                }
                Ok(Term { weight, call })
            }
            _ => Err(self.expected("a loss name or a weight")),
        }
    }

    fn call(&mut self) -> Result<Call, SpecError> {
        let (name, name_span) = match self.bump() {
            (Tok::Ident(n), span) => (n, span),
            (t, span) => {
                return Err(self.err(
                    span,
                    format!("expected a loss name, found {}", tok_name(&t)),
                ))
            }
        };
        let mut call = Call {
            name,
            name_span,
            args: Vec::new(),
            span: name_span,
        };
        if self.peek().0 != Tok::Open {
            return Ok(call);
        }
        self.bump();
        loop {
            if self.peek().0 == Tok::Close {
                break;
            }
            call.args.push(self.arg()?);
            match self.peek().0 {
                Tok::Comma => {
                    self.bump();
                }
                Tok::Close => break,
                _ => return Err(self.expected("`,` or `)`")),
            }
        }
        let (_, close) = self.bump();
        call.span = (name_span.0, close.1);
        Ok(call)
    }

    fn arg(&mut self) -> Result<Arg, SpecError> {
        if let (Tok::Ident(name), span) = self.peek().clone() {
            if self.toks.get(self.at + 1).map(|t| &t.0) == Some(&Tok::Eq) {
                self.at += 2;
                let value = self.value()?;
                return Ok(Arg {
                    key: Some((name, span)),
                    value,
                });
            }
        }
        Ok(Arg {
            key: None,
            value: self.value()?,
        })
    }

    fn number(&mut self) -> Result<(f64, Span), SpecError> {
        let (first, span) = self.peek().clone();
        let sign = match first {
            Tok::Minus => -1.0,
            Tok::Plus => 1.0,
            _ => 0.0,
        };
        if sign != 0.0 {
            self.bump();
        }
        match self.bump() {
            (Tok::Num(x), s) => Ok((if sign < 0.0 { -x } else { x }, (span.0, s.1))),
            (t, s) => Err(self.err(s, format!("expected a number, found {}", tok_name(&t)))),
        }
    }

    fn value(&mut self) -> Result<Value, SpecError> {
        let (t, span) = self.peek().clone();
        match t {
            Tok::Num(_) | Tok::Minus | Tok::Plus => {
                let (x, span) = self.number()?;
                Ok(Value {
                    kind: ValueKind::Num(x),
                    span,
                })
            }
            Tok::LBracket => {
                self.bump();
                let mut items = Vec::new();
                loop {
                    if self.peek().0 == Tok::RBracket {
                        break;
                    }
                    items.push(self.number()?.0);
                    match self.peek().0 {
                        Tok::Comma => {
                            self.bump();
                        }
                        Tok::RBracket => break,
                        _ => return Err(self.expected("`,` or `]` in the list")),
                    }
                }
                let (_, close) = self.bump();
                Ok(Value {
                    kind: ValueKind::List(items),
                    span: (span.0, close.1),
                })
            }
            Tok::Ident(name) => {
                if self.toks.get(self.at + 1).map(|t| &t.0) == Some(&Tok::Open) {
                    let call = self.call()?;
                    let span = call.span;
                    return Ok(Value {
                        kind: ValueKind::Call(call),
                        span,
                    });
                }
                self.bump();
                let kind = match name.as_str() {
                    "true" => ValueKind::Bool(true),
                    "false" => ValueKind::Bool(false),
                    _ => ValueKind::Name(name),
                };
                Ok(Value { kind, span })
            }
            _ => Err(self.expected("a value (number, true/false, name, [list] or call)")),
        }
    }
}
