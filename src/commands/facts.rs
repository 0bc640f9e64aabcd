//! `runbook facts`: what the host looks like, as runbooks see it.

use anyhow::Result;

use super::facts_view::{self, View};
use crate::cli::Output;
use crate::clock;
use crate::facts::logs::Passwd;
use crate::facts::{Facts, Group};
use crate::report::style::Style;

pub fn run(root: &std::path::Path, only: &[Group], output: Output) -> Result<u8> {
    let host = super::host_opts::host(root)?;
    let facts = Facts::new(&host);
    let tree = facts.tree(only);
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&tree)?),
        Output::Human => {
            let passwd = Passwd::read(&host);
            let names = |uid: u64| passwd.name(&uid.to_string()).map(str::to_string);
            let view = View {
                style: Style::detect(),
                now: clock::now()?,
                names: &names,
            };
            let next = facts_view::next(&tree, root);
            print!("{}", facts_view::render(&tree, &view, next));
        }
    }
    Ok(0)
}
