//! Tantivy side of libsearch's bench/peers (see bench/peers/README.md).
//!
//!   tantivy_peer index CORPUS.tsv INDEX_DIR [THREADS]
//!                                             build a one-segment index (THREADS indexing
//!                                             threads, default 1), print JSON stats
//!   tantivy_peer serve INDEX_DIR              answer "MODE\tquery" lines on stdin
//!   tantivy_peer live-index CORPUS.tsv INDEX_DIR
//!   tantivy_peer live-update INDEX_DIR set|upsert BATCH.tsv...
//!
//! live-index / live-update: bench/live/update_peers.py (issue 17, update +
//! commit next to libsearch's IndexWriter). Corpus and batches are
//! "id\tprice\ttext" lines; the index has id (STRING | STORED), text (not
//! stored) and price (f64 FAST | STORED). Tantivy has no in-place update of a
//! fast field, so "set" and "upsert" both delete the id's document and add
//! the whole new one (the batch line carries it). live-update opens one
//! writer (not timed), then per batch file applies every line and commits,
//! timed together. Prints {"batches_ms": [...]}.
//!
//! The corpus is already normalised by bench/peers/peers.py (lowercase, one
//! space between tokens), so the text field uses the whitespace tokenizer and
//! no filter: every engine sees exactly the same tokens.
//!
//! Reply per request line: "count\tnanos" (nanos = time spent parsing and
//! searching inside this process); CHECK adds "\tid:score id:score ...".
//!
//! FUZZY_TOP_10 / FUZZY_CHECK (bench/peers/fuzzy.py): the query is
//! "word~N word~N ...", N the edit budget fuzzy.py gives each word (libsearch's
//! typo rule); the query is an OR of FuzzyTermQuery(word, N, transposition
//! cost one), top 10 by score; FUZZY_CHECK adds the exact count and the ids.
//! Tantivy's fuzzy query scores every match 1.0 (a constant scorer over the
//! matching docs), so its top 10 is in doc order.
use std::io::{BufRead, BufWriter, Write};
use std::time::Instant;

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, FuzzyTermQuery, Occur, Query, QueryParser};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, STORED, STRING,
};
use tantivy::tokenizer::{TextAnalyzer, WhitespaceTokenizer};
use tantivy::{doc, Index, IndexWriter, TantivyDocument, Term};

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
        let fuzzy = mode.starts_with("FUZZY_");
        let parsed = if fuzzy {
            fuzzy_query(text, q)
        } else {
            parser.parse_query(q).map_err(|e| format!("{e:?}"))
        };
        let query = match parsed {
            Ok(query) => query,
            Err(e) => {
                writeln!(out, "ERROR\t{e}")?;
                out.flush()?;
                continue;
            }
        };
        let reply = match mode {
            "COUNT" => format!("{}\t{}", query.count(&searcher)?, t.elapsed().as_nanos()),
            "TOP_10" | "FUZZY_TOP_10" => {
                let top = searcher.search(&query, &TopDocs::with_limit(10).order_by_score())?;
                format!("{}\t{}", top.len(), t.elapsed().as_nanos())
            }
            "TOP_10_COUNT" => {
                let (_top, count) =
                    searcher.search(&query, &(TopDocs::with_limit(10).order_by_score(), Count))?;
                format!("{}\t{}", count, t.elapsed().as_nanos())
            }
            "CHECK" | "FUZZY_CHECK" => {
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

// "word~N word~N ..." -> an OR of FuzzyTermQuery(word, N, transposition = 1 edit).
fn fuzzy_query(text: Field, q: &str) -> Result<Box<dyn Query>, String> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for w in q.split(' ').filter(|w| !w.is_empty()) {
        let (word, n) = w.rsplit_once('~').ok_or_else(|| format!("no ~N in {w}"))?;
        let n: u8 = n.parse().map_err(|_| format!("bad edit budget in {w}"))?;
        let term = Term::from_field_text(text, word);
        clauses.push((Occur::Should, Box::new(FuzzyTermQuery::new(term, n, true))));
    }
    Ok(Box::new(BooleanQuery::new(clauses)))
}

struct LiveFields {
    id: Field,
    text: Field,
    price: Field,
}

fn live_fields(schema: &Schema) -> tantivy::Result<LiveFields> {
    Ok(LiveFields {
        id: schema.get_field("id")?,
        text: schema.get_field("text")?,
        price: schema.get_field("price")?,
    })
}

// "id\tprice\ttext" (price may be empty: no value).
fn live_doc(f: &LiveFields, line: &str) -> (String, TantivyDocument) {
    let mut parts = line.splitn(3, '\t');
    let id = parts.next().unwrap_or("").to_string();
    let price = parts.next().unwrap_or("");
    let text = parts.next().unwrap_or("");
    let mut d = TantivyDocument::default();
    d.add_text(f.id, &id);
    d.add_text(f.text, text);
    if let Ok(p) = price.parse::<f64>() {
        d.add_f64(f.price, p);
    }
    (id, d)
}

fn live_index(tsv: &str, dir: &str) -> tantivy::Result<()> {
    let t0 = Instant::now();
    let mut sb = Schema::builder();
    sb.add_text_field("id", STRING | STORED);
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    sb.add_text_field("text", TextOptions::default().set_indexing_options(indexing));
    sb.add_f64_field("price", FAST | STORED);
    let schema = sb.build();
    std::fs::create_dir_all(dir)?;
    let index = Index::create_in_dir(dir, schema.clone())?;
    register(&index);
    let f = live_fields(&schema)?;
    let mut writer: IndexWriter = index.writer_with_num_threads(1, 1_000_000_000)?;
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(tsv)?);
    let mut n: u64 = 0;
    for line in reader.lines() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        writer.add_document(live_doc(&f, &line).1)?;
        n += 1;
    }
    writer.commit()?;
    let ids = index.searchable_segment_ids()?;
    if ids.len() > 1 {
        writer.merge(&ids).wait()?;
    }
    writer.wait_merging_threads()?;
    println!(
        "{{\"docs\": {}, \"seconds\": {:.3}}}",
        n,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

fn live_update(dir: &str, batches: &[String]) -> tantivy::Result<()> {
    let index = Index::open_in_dir(dir)?;
    register(&index);
    let f = live_fields(&index.schema())?;
    // One indexing thread, as the other engines; tantivy's default merge
    // policy merges in the background.
    let mut writer: IndexWriter = index.writer_with_num_threads(1, 100_000_000)?;
    let mut ms = Vec::new();
    for batch in batches {
        let text = std::fs::read_to_string(batch)?;
        let t = Instant::now();
        for line in text.lines() {
            if line.is_empty() {
                continue;
            }
            let (id, d) = live_doc(&f, line);
            writer.delete_term(Term::from_field_text(f.id, &id));
            writer.add_document(d)?;
        }
        writer.commit()?;
        ms.push(format!("{:.3}", t.elapsed().as_secs_f64() * 1e3));
    }
    writer.wait_merging_threads()?;
    println!("{{\"batches_ms\": [{}]}}", ms.join(", "));
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
        (Some("live-index"), 4) => live_index(&args[2], &args[3]),
        (Some("live-update"), n) if n >= 5 && (args[3] == "set" || args[3] == "upsert") => {
            live_update(&args[2], &args[4..])
        }
        _ => {
            eprintln!(
                "usage: tantivy_peer index CORPUS.tsv INDEX_DIR [THREADS] | serve INDEX_DIR | \
                 live-index CORPUS.tsv INDEX_DIR | live-update INDEX_DIR set|upsert BATCH.tsv..."
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = result {
        eprintln!("tantivy_peer: {e:?}");
        std::process::exit(1);
    }
}
