//! `keyword-precision classify` (JSONL `{"id","text"}` in, decisions out),
//! `keyword-precision train` (labelled JSONL in, model file out) and
//! `keyword-precision eval` (labelled JSONL in, metrics out; `--cv K` for
//! project-grouped cross-validation).

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use keyword_precision::model_file::Model;
use keyword_precision::{Classifier, Config, Document, eval, linear, reload, training};

/// How often the agent looks at its config file for changes.
const CONFIG_CHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Parser)]
#[command(version, about = "Decide which documents announce a TGE")]
struct Args {
    /// Watchlist and known tokens (TOML).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// A model file (`keyword-precision train`) instead of the bundled one.
    #[arg(long, global = true)]
    model: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run as an agent of the swarm (AnalyzeDocument tasks).
    Run {
        #[command(flatten)]
        agent: Box<agent_runtime::AgentArgs>,
    },
    /// Read `{"id","text"}` lines on stdin, write one decision per line.
    Classify,
    /// Train the model on labelled JSONL files and write the model file.
    Train {
        /// Labelled files (`{"id","text","label","project"}`; label
        /// true/false or "tge"/"not_tge").
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where the model goes.
        #[arg(long, default_value = "agents/keyword-precision/model/tge.model")]
        out: PathBuf,
        #[arg(long, default_value_t = linear::Settings::default().epochs)]
        epochs: usize,
        #[arg(long, default_value_t = linear::Settings::default().l2)]
        l2: f64,
    },
    /// Read labelled lines (`{"id","text","label","project"}`) from a file
    /// (or stdin), print precision, recall, F1, attribution, Brier score,
    /// the reliability table and the confusion cases.
    Eval {
        file: Option<PathBuf>,
        /// Project-grouped K-fold cross-validation on FILE instead of the
        /// loaded model: each fold is classified by a model trained on the
        /// other folds (plus `--extra`).
        #[arg(long, value_name = "K")]
        cv: Option<usize>,
        /// More labelled files to train on in every fold (never tested on).
        #[arg(long, value_name = "FILE")]
        extra: Vec<PathBuf>,
        #[arg(long, default_value_t = linear::Settings::default().epochs)]
        epochs: usize,
        #[arg(long, default_value_t = linear::Settings::default().l2)]
        l2: f64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Do not list the misclassified examples.
        #[arg(long)]
        quiet: bool,
    },
}

fn read_examples(path: &PathBuf) -> anyhow::Result<Vec<eval::Example>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    eval::parse_examples(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The labelled examples of every file in `paths`, in order.
fn read_all(paths: &[PathBuf]) -> anyhow::Result<Vec<eval::Example>> {
    let mut examples = Vec::new();
    for path in paths {
        examples.extend(read_examples(path)?);
    }
    Ok(examples)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = match &args.config {
        Some(path) => reload::load_config(path)?,
        None => Config::default(),
    };
    let model = match &args.model {
        Some(path) => Model::from_bytes(
            &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("loading the model {}", path.display()))?,
        None => Model::bundled(),
    };
    let settings = linear::Settings::default();
    let model_for_reload = model.clone();
    let classifier = Classifier::with_model(config.clone(), model);
    match args.command {
        Command::Train {
            files,
            out,
            epochs,
            l2,
        } => {
            let examples = read_all(&files)?;
            let settings = linear::Settings {
                epochs,
                l2,
                ..settings
            };
            let model = training::train(&examples, &config, settings);
            let bytes = model.to_bytes();
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            let nonzero = model.linear.weights.iter().filter(|w| **w != 0.0).count();
            println!(
                "trained on {} examples ({} TGE) → {} ({} bytes, {nonzero} weights, Platt a={:.3} b={:.3}, gated P={:.4})",
                examples.len(),
                examples.iter().filter(|e| e.label).count(),
                out.display(),
                bytes.len(),
                model.platt.a,
                model.platt.b,
                model.gated_probability
            );
        }
        Command::Run { agent } => run_agent(classifier, model_for_reload, args.config, *agent)?,
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
        Command::Eval {
            file,
            cv,
            extra,
            epochs,
            l2,
            json,
            quiet,
        } => {
            let examples = match &file {
                Some(path) => read_examples(path)?,
                None => eval::parse_examples(&std::io::read_to_string(std::io::stdin())?)
                    .map_err(|e| anyhow::anyhow!("stdin: {e}"))?,
            };
            let report = match cv {
                Some(k) => {
                    let more = read_all(&extra)?;
                    let settings = linear::Settings {
                        epochs,
                        l2,
                        ..settings
                    };
                    let decisions =
                        training::cross_validate(&examples, &more, k, &config, settings);
                    eval::report(&examples, &decisions)
                }
                None => eval::evaluate(&classifier, &examples),
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", report.render(!quiet));
            }
        }
    }
    Ok(())
}

fn run_agent(
    classifier: Classifier,
    model: Model,
    config_file: Option<PathBuf>,
    agent: agent_runtime::AgentArgs,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let telemetry = swarm_common::telemetry::init("keyword-precision", &agent.telemetry)?;
        let config = keyword_precision::agent::AgentConfig {
            classifier: std::sync::Arc::new(classifier),
            model,
            config_file,
            check_every: CONFIG_CHECK_EVERY,
        };
        let component = keyword_precision::agent::build(config, &agent.context().await?);
        agent.serve(component, telemetry).await
    })
}
