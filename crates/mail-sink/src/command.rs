//! SMTP command lines: RFC 5321 §4.1.1 (the commands) and §4.1.2 (path and parameter syntax).

/// One command line from the client, already split into verb and arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    Ehlo(String),
    Helo(String),
    Mail {
        from: String,
        size: Option<usize>,
    },
    Rcpt(String),
    Data,
    Rset,
    Noop,
    Quit,
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
    /// A command RFC 5321 names that this sink deliberately does not offer (502).
    NotImplemented,
    /// A known verb with arguments that do not parse (501).
    Syntax(&'static str),
    /// Not an SMTP command at all (500).
    Unknown,
}

pub(crate) fn parse(line: &str) -> Command {
    let (verb, args) = match line.split_once(' ') {
        Some((verb, args)) => (verb, args.trim()),
        None => (line, ""),
    };
    match verb.to_ascii_uppercase().as_str() {
        "EHLO" if args.is_empty() => Command::Syntax("EHLO needs a domain or address literal"),
        "EHLO" => Command::Ehlo(args.to_owned()),
        "HELO" if args.is_empty() => Command::Syntax("HELO needs a domain"),
        "HELO" => Command::Helo(args.to_owned()),
        "MAIL" => parse_mail(args),
        "RCPT" => parse_rcpt(args),
        "DATA" => no_args(args, Command::Data),
        "RSET" => no_args(args, Command::Rset),
        "NOOP" => Command::Noop,
        "QUIT" => no_args(args, Command::Quit),
        "AUTH" => parse_auth(args),
        "VRFY" | "EXPN" | "HELP" | "TURN" | "STARTTLS" | "BDAT" | "ETRN" => Command::NotImplemented,
        _ => Command::Unknown,
    }
}

fn no_args(args: &str, command: Command) -> Command {
    if args.is_empty() {
        command
    } else {
        Command::Syntax("this command takes no arguments")
    }
}

fn parse_mail(args: &str) -> Command {
    let Some((from, params)) = path_after(args, "FROM:") else {
        return Command::Syntax("expected MAIL FROM:<reverse-path>");
    };
    let mut size = None;
    for param in params.split_whitespace() {
        if let Some(value) = strip_prefix_ignore_case(param, "SIZE=") {
            match value.parse() {
                Ok(n) => size = Some(n),
                Err(_) => return Command::Syntax("SIZE must be a number"),
            }
        }
    }
    Command::Mail { from, size }
}

fn parse_rcpt(args: &str) -> Command {
    match path_after(args, "TO:") {
        Some((to, _)) if to.is_empty() => Command::Syntax("a recipient cannot be the null path"),
        Some((to, _)) => Command::Rcpt(to),
        None => Command::Syntax("expected RCPT TO:<forward-path>"),
    }
}

fn parse_auth(args: &str) -> Command {
    let mut words = args.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some(mechanism), initial, None) => Command::Auth {
            mechanism: mechanism.to_ascii_uppercase(),
            initial: initial.map(str::to_owned),
        },
        _ => Command::Syntax("expected AUTH mechanism [initial-response]"),
    }
}

/// `FROM:<path> params` → (path, params); the path must be in angle brackets (RFC 5321 §4.1.2).
fn path_after<'a>(args: &'a str, keyword: &str) -> Option<(String, &'a str)> {
    let rest = strip_prefix_ignore_case(args, keyword)?.trim_start();
    let rest = rest.strip_prefix('<')?;
    let (path, params) = rest.split_once('>')?;
    if path.contains(['<', ' ']) {
        return None;
    }
    Some((path.to_owned(), params))
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs_are_case_insensitive() {
        assert_eq!(
            parse("ehlo client.test"),
            Command::Ehlo("client.test".into())
        );
        assert_eq!(parse("QuIt"), Command::Quit);
    }

    #[test]
    fn mail_from_takes_the_path_and_the_size_parameter() {
        assert_eq!(
            parse("MAIL FROM:<a@b.test> SIZE=1200 BODY=8BITMIME"),
            Command::Mail {
                from: "a@b.test".into(),
                size: Some(1200)
            }
        );
        assert_eq!(
            parse("mail from: <>"),
            Command::Mail {
                from: String::new(),
                size: None
            }
        );
    }

    #[test]
    fn paths_must_be_in_angle_brackets() {
        assert!(matches!(parse("MAIL FROM:a@b.test"), Command::Syntax(_)));
        assert!(matches!(parse("RCPT TO:<a@b.test"), Command::Syntax(_)));
        assert!(matches!(parse("RCPT TO:<>"), Command::Syntax(_)));
        assert!(matches!(parse("RCPT FROM:<a@b.test>"), Command::Syntax(_)));
    }

    #[test]
    fn auth_keeps_an_optional_initial_response() {
        assert_eq!(
            parse("AUTH plain AGEAYg=="),
            Command::Auth {
                mechanism: "PLAIN".into(),
                initial: Some("AGEAYg==".into())
            }
        );
        assert_eq!(
            parse("AUTH LOGIN"),
            Command::Auth {
                mechanism: "LOGIN".into(),
                initial: None
            }
        );
        assert!(matches!(parse("AUTH"), Command::Syntax(_)));
    }

    #[test]
    fn starttls_is_known_but_not_implemented_and_garbage_is_unknown() {
        assert_eq!(parse("STARTTLS"), Command::NotImplemented);
        assert_eq!(parse("FROB x"), Command::Unknown);
        assert!(matches!(parse("DATA now"), Command::Syntax(_)));
        assert!(matches!(parse("EHLO"), Command::Syntax(_)));
    }
}
