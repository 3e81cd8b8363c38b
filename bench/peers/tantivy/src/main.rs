//! Tantivy side of libsearch's bench/peers (see bench/peers/README.md).
//!
//!   tantivy_peer index CORPUS.tsv INDEX_DIR [THREADS]
//!                                             build a one-segment index (THREADS indexing
//!                                             threads, default 1), print JSON stats
//!   tantivy_peer serve INDEX_DIR              answer "MODE\tquery" lines on stdin
//!
//! The corpus is already normalised by bench/peers/peers.py (lowercase, one
//! space between tokens), so the text field uses the whitespace tokenizer and
//! no filter: every engine sees exactly the same tokens.
//!
//! Reply per request line: "count\tnanos" (nanos = time spent parsing and
//! searching inside this process); CHECK adds "\tid:score id:score ...".
use std::io::{BufRead, BufWriter, Write};
use std::time::Instant;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::QueryParser;
use tantivy::schema::{
    IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, STORED, STRING,
};
use tantivy::tokenizer::{TextAnalyzer, WhitespaceTokenizer};
use tantivy::{doc, Index, IndexWriter, TantivyDocument};

const TOKENIZER: &str = "peers_ws";

fn register(index: &Index) {
    index.tokenizers().register(
        TOKENIZER,
        TextAnalyzer::builder(WhitespaceTokenizer::default()).build(),
    );
}

fn build(tsv: &str, dir: &str, threads: usize) -> tantivy::Result<()> {
    let t0 = Instant::now();
    let mut sb = Schema::builder();
    let id = sb.add_text_field("id", STRING | STORED);
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let text = sb.add_text_field("text", TextOptions::default().set_indexing_options(indexing));
    let schema = sb.build();
    std::fs::create_dir_all(dir)?;
    let index = Index::create_in_dir(dir, schema)?;
    register(&index);
    // `threads` indexing threads (1 for the search comparison), sharing a
    // 1 GB arena; each makes its own segments, merged into one below.
    let mut writer: IndexWriter = index.writer_with_num_threads(threads, 1_000_000_000)?;
    let file = std::fs::File::open(tsv)?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut n: u64 = 0;
    for line in reader.lines() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let (doc_id, body) = line.split_once('\t').unwrap_or((line.as_str(), ""));
        writer.add_document(doc!(id => doc_id, text => body))?;
        n += 1;
    }
    writer.commit()?;
    // Merge into one segment, as the search-benchmark-game does.
    let ids = index.searchable_segment_ids()?;
    let segments = ids.len();
    if ids.len() > 1 {
        writer.merge(&ids).wait()?;
    }
    writer.wait_merging_threads()?;
    println!(
        "{{\"docs\": {}, \"segments_before_merge\": {}, \"seconds\": {:.3}}}",
        n,
        segments,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn serve(dir: &str) -> tantivy::Result<()> {
    let index = Index::open_in_dir(dir)?;
    register(&index);
    let schema = index.schema();
    let id = schema.get_field("id")?;
    let text = schema.get_field("text")?;
    // Default conjunction off: bare words are optional (OR), as in the game.
    let parser = QueryParser::for_index(&index, vec![text]);
    let reader = index.reader()?;
    let searcher = reader.searcher();
    let stdin = std::io::stdin();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.lock().lines() {
        let line = line?;
        let (mode, q) = line.split_once('\t').unwrap_or((line.as_str(), ""));
        let t = Instant::now();
        if mode == "PING" {
            writeln!(out, "0\t{}", t.elapsed().as_nanos())?;
            out.flush()?;
            continue;
        }
        let query = match parser.parse_query(q) {
            Ok(query) => query,
            Err(e) => {
                writeln!(out, "ERROR\t{e:?}")?;
                out.flush()?;
                continue;
            }
        };
        let reply = match mode {
            "COUNT" => format!("{}\t{}", query.count(&searcher)?, t.elapsed().as_nanos()),
            "TOP_10" => {
                let top = searcher.search(&query, &TopDocs::with_limit(10).order_by_score())?;
                format!("{}\t{}", top.len(), t.elapsed().as_nanos())
            }
            "TOP_10_COUNT" => {
                let (_top, count) =
                    searcher.search(&query, &(TopDocs::with_limit(10).order_by_score(), Count))?;
                format!("{}\t{}", count, t.elapsed().as_nanos())
            }
            "CHECK" => {
                let (top, count) =
                    searcher.search(&query, &(TopDocs::with_limit(10).order_by_score(), Count))?;
                let ns = t.elapsed().as_nanos();
                let mut hits = Vec::with_capacity(top.len());
                for (score, addr) in top {
                    let d: TantivyDocument = searcher.doc(addr)?;
                    let ext = d.get_first(id).and_then(|v| v.as_str().map(str::to_owned));
                    hits.push(format!("{}:{}", ext.unwrap_or_default(), score));
                }
                format!("{}\t{}\t{}", count, ns, hits.join(" "))
            }
            _ => "ERROR\tunsupported mode".to_string(),
        };
        writeln!(out, "{reply}")?;
        out.flush()?;
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match (args.get(1).map(String::as_str), args.len()) {
        (Some("index"), 4) => build(&args[2], &args[3], 1),
        (Some("index"), 5) => match args[4].parse::<usize>() {
            Ok(threads) if threads > 0 => build(&args[2], &args[3], threads),
            _ => {
                eprintln!("tantivy_peer: THREADS must be a positive integer");
                std::process::exit(2);
            }
        },
        (Some("serve"), 3) => serve(&args[2]),
        _ => {
            eprintln!("usage: tantivy_peer index CORPUS.tsv INDEX_DIR [THREADS] | serve INDEX_DIR");
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("tantivy_peer: {e:?}");
        std::process::exit(1);
    }
}
