//! The report binary's command line.

use std::path::PathBuf;

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Options {
    /// `--quick`: the short run.
    pub(crate) quick: bool,
    /// `--out DIR`: where the files go.
    pub(crate) output_folder: Option<PathBuf>,
    /// `--list`: print the scenario names and stop.
    pub(crate) list: bool,
    /// `--help`.
    pub(crate) help: bool,
    /// Scenario names to run (all if empty).
    pub(crate) only: Vec<String>,
}

/// The usage text, for `--help` and after a bad flag.
pub(crate) fn usage(program: &str) -> String {
    format!(
        "usage: {program} [--quick] [--out DIR] [--list] [SCENARIO...]\n\
         \n  --quick      the short run (a few seconds)\
         \n  --out DIR    where to write report.json, the dhat profiles and the charts\
         \n               (default: target/poolkit-report)\
         \n  --list       print the scenario names and exit\
         \n  SCENARIO     run only these scenarios (by name; all when none is given)\
         \n  -h, --help   this text\n"
    )
}

/// Parses the arguments after the program name.
pub(crate) fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--list" => options.list = true,
            "-h" | "--help" => options.help = true,
            "--out" => match rest.next() {
                Some(folder) if !folder.is_empty() => {
                    options.output_folder = Some(PathBuf::from(folder))
                }
                _ => return Err("--out needs a folder: --out DIR".to_owned()),
            },
            _ if arg.starts_with("--out=") => {
                let folder = &arg["--out=".len()..];
                if folder.is_empty() {
                    return Err("--out needs a folder: --out=DIR".to_owned());
                }
                options.output_folder = Some(PathBuf::from(folder));
            }
            _ if arg.starts_with('-') => return Err(format!("unknown flag `{arg}`")),
            _ => options.only.push(arg.clone()),
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_and_names() {
        let options = parse(&args(&["--quick", "--out", "x", "a", "b"])).unwrap();
        assert!(options.quick);
        assert_eq!(options.output_folder, Some(PathBuf::from("x")));
        assert_eq!(options.only, ["a", "b"]);
        let options = parse(&args(&["--out=y", "--list"])).unwrap();
        assert_eq!(options.output_folder, Some(PathBuf::from("y")));
        assert!(options.list);
    }

    #[test]
    fn bad_flags_are_named() {
        assert_eq!(
            parse(&args(&["--quik"])).unwrap_err(),
            "unknown flag `--quik`"
        );
        assert!(parse(&args(&["--out"])).unwrap_err().contains("--out"));
        assert!(parse(&args(&["--out="])).unwrap_err().contains("--out"));
    }
}
