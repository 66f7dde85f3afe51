//! `keyword-precision classify` (JSONL `{"id","text"}` in, decisions out)
//! and `keyword-precision eval` (labelled JSONL in, metrics out).

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use keyword_precision::{Classifier, Config, Document, eval};

#[derive(Parser)]
#[command(version, about = "Decide which documents announce a TGE")]
struct Args {
    /// Watchlist and known tokens (TOML).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run as an agent of the swarm (AnalyzeDocument tasks).
    Run {
        #[command(flatten)]
        agent: agent_runtime::AgentArgs,
    },
    /// Read `{"id","text"}` lines on stdin, write one decision per line.
    Classify,
    /// Read labelled lines (`{"id","text","label","project"}`) from a file
    /// (or stdin), print precision, recall, F1, attribution, Brier score
    /// and the confusion cases.
    Eval {
        file: Option<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = match &args.config {
        Some(path) => Config::from_toml(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("parsing {}", path.display()))?,
        None => Config::default(),
    };
    let classifier = Classifier::new(config);
    match args.command {
        Command::Run { agent } => run_agent(classifier, agent)?,
        Command::Classify => {
            let stdin = std::io::stdin();
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for (n, line) in stdin.lock().lines().enumerate() {
                let line = line.with_context(|| format!("reading line {}", n + 1))?;
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Document>(&line) {
                    Ok(doc) => {
                        let decision = classifier.classify(&doc);
                        let mut value = serde_json::to_value(&decision)?;
                        value["id"] = serde_json::Value::String(doc.id);
                        writeln!(out, "{value}")?;
                    }
                    Err(error) => {
                        // a bad line is reported in place and loses nothing else
                        writeln!(
                            out,
                            "{}",
                            serde_json::json!({ "line": n + 1, "error": error.to_string() })
                        )?;
                        eprintln!("line {}: not a {{\"id\",\"text\"}} object: {error}", n + 1);
                    }
                }
            }
            out.flush()?;
        }
        Command::Eval { file, json } => {
            let text = match &file {
                Some(path) => std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?,
                None => std::io::read_to_string(std::io::stdin())?,
            };
            let mut examples = Vec::new();
            for (n, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                examples.push(
                    serde_json::from_str::<eval::Example>(line)
                        .with_context(|| format!("line {} is not a labelled example", n + 1))?,
                );
            }
            let report = eval::evaluate(&classifier, &examples);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "examples {}  positives {}\nprecision {:.3}  recall {:.3}  F1 {:.3}\nattribution accuracy {:.3}  Brier {:.4}\nTP {}  FP {}  FN {}",
                    report.examples,
                    report.positives,
                    report.precision,
                    report.recall,
                    report.f1,
                    report.attribution_accuracy,
                    report.brier,
                    report.true_positives,
                    report.false_positives,
                    report.false_negatives
                );
                for case in &report.cases {
                    println!(
                        "\n[{}] {} p={:.2} expected={:?} got={:?} ({})\n  {}",
                        case.kind,
                        case.id,
                        case.confidence,
                        case.expected_project,
                        case.predicted_project,
                        case.category.as_deref().unwrap_or("-"),
                        case.text
                    );
                }
            }
        }
    }
    Ok(())
}

fn run_agent(classifier: Classifier, agent: agent_runtime::AgentArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let telemetry = swarm_common::telemetry::init("keyword-precision", &agent.telemetry)?;
        let memory = memory_coordinator::open(&agent.redis_url).await?;
        let handler = std::sync::Arc::new(keyword_precision::agent::KeywordHandler::new(
            std::sync::Arc::new(classifier),
            Some(memory),
        ));
        agent
            .serve(
                swarm_proto::AgentKind::KeywordPrecision,
                32,
                handler,
                telemetry,
            )
            .await
    })
}
