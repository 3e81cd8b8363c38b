// Lucene side of libsearch's bench/peers (see bench/peers/README.md).
//
//   java -cp target/classes:target/lib/* LucenePeer index [--bp] CORPUS.tsv INDEX_DIR
//   java -cp target/classes:target/lib/* LucenePeer serve INDEX_DIR
//   java -cp ... LucenePeer live-index CORPUS.tsv INDEX_DIR
//   java -cp ... LucenePeer live-update INDEX_DIR set|upsert BATCH.tsv...
//
// live-index / live-update: bench/live/update_peers.py (issue 17, update +
// commit next to libsearch's IndexWriter). The corpus and batches are
// "id\tprice\ttext" lines; the index has id (StringField, stored), text
// (TextField, not stored) and price (DoubleDocValuesField + StoredField).
// live-update opens one IndexWriter (not timed), then per batch file applies
// every line and commits, timed together: "set" changes the price in place
// with updateNumericDocValue (Lucene's doc-values update; the stored copy
// keeps the old value), "upsert" replaces the whole document with
// updateDocument. Prints {"batches_ms": [...]}.
//
// The corpus and the queries are already normalised by bench/peers/peers.py
// (lowercase, one space between tokens), so WhitespaceAnalyzer yields exactly
// the tokens every other engine sees. BM25Similarity with Lucene's defaults
// (k1 = 1.2, b = 0.75). Indexing runs on one thread (SerialMergeScheduler) and
// ends with forceMerge(1), as in the search-benchmark-game. The searcher has no
// executor (single-threaded) and no query cache.
//
// index --bp (engine lucene-bp, as the search-benchmark-game's lucene-10.4.0-bp):
// the same build, with a BPReorderingMergePolicy around the default
// TieredMergePolicy, so the final forceMerge(1) renumbers the doc ids with
// BPIndexReorderer (recursive graph bisection: docs that share terms get close
// ids, which shrinks the postings and lets block-max skipping drop more
// blocks). As the game: reordering only on forced merges
// (setMinNaturalMergeNumDocs(MAX_VALUE)), a 256 MB RAM budget and otherwise
// the reorderer's defaults (terms of doc freq >= 4096 only, 20 iterations,
// partitions down to 32 docs). When every doc fitted in one flush (enwiki),
// forceMerge(1) has nothing to merge and so nothing is reordered: the segment
// is then rewritten through addIndexes, which the policy reorders as a forced
// merge. The policy silently skips the reordering when the budget is too small,
// so the build checks the segment's "bp.reordered" diagnostic and fails
// without it. The reorderer runs on the merge thread (SerialMergeScheduler):
// one thread, like the rest of the build.
//
// Reply per request line: "count\tnanos" (nanos = parse + search inside the
// JVM); CHECK adds "\tid:score id:score ...".
//
// FUZZY_TOP_10 / FUZZY_CHECK (bench/peers/fuzzy.py): the query is
// "word~N word~N ...", N the edit budget fuzzy.py gives each word (libsearch's
// typo rule); the query is a BooleanQuery of SHOULD FuzzyQuery(word, N,
// prefixLength 0, maxExpansions 50 (the default, as libsearch's
// max_expansions), transpositions on), top 10 by score; FUZZY_CHECK adds the
// exact count and the ids.
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

import org.apache.lucene.analysis.core.WhitespaceAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.DoubleDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.SerialMergeScheduler;
import org.apache.lucene.index.SlowCodecReaderWrapper;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.misc.index.BPIndexReorderer;
import org.apache.lucene.misc.index.BPReorderingMergePolicy;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.FuzzyQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.TopScoreDocCollectorManager;
import org.apache.lucene.search.TotalHits;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Version;

public class LucenePeer {
  // TotalHits.value is a field in Lucene 9 and a record accessor in Lucene 10.
  private static final MethodHandle TOTAL_HITS_VALUE = totalHitsValueHandle();

  private static MethodHandle totalHitsValueHandle() {
    MethodHandles.Lookup lookup = MethodHandles.publicLookup();
    try {
      return lookup.findVirtual(TotalHits.class, "value", MethodType.methodType(long.class));
    } catch (ReflectiveOperationException e) {
      try {
        return lookup.findGetter(TotalHits.class, "value", long.class);
      } catch (ReflectiveOperationException e2) {
        throw new IllegalStateException(e2);
      }
    }
  }

  private static long totalHits(TopDocs td) {
    try {
      return (long) TOTAL_HITS_VALUE.invokeExact(td.totalHits);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  static IndexWriterConfig indexConfig(boolean bp) {
    IndexWriterConfig config = new IndexWriterConfig(new WhitespaceAnalyzer())
        .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
        .setRAMBufferSizeMB(1024)
        .setMergeScheduler(new SerialMergeScheduler())
        .setSimilarity(new BM25Similarity());
    if (bp) {
      BPIndexReorderer reorderer = new BPIndexReorderer();
      reorderer.setRAMBudgetMB(256);
      BPReorderingMergePolicy mp = new BPReorderingMergePolicy(config.getMergePolicy(), reorderer);
      mp.setMinNaturalMergeNumDocs(Integer.MAX_VALUE);  // Reorder on forced merges only.
      config.setMergePolicy(mp);
    }
    return config;
  }

  // The one segment's "bp.reordered" diagnostic: null when no merge under the BP policy wrote it.
  static String bpReordered(Path path) throws IOException {
    try (Directory d = FSDirectory.open(path)) {
      SegmentInfos infos = SegmentInfos.readLatestCommit(d);
      if (infos.size() != 1) throw new IllegalStateException(infos.size() + " segments");
      return infos.info(0).info.getDiagnostics().get("bp.reordered");
    }
  }

  static void index(String tsv, String dir, boolean bp) throws Exception {
    long t0 = System.nanoTime();
    Path path = Paths.get(dir);
    long n = 0;
    try (Directory d = FSDirectory.open(path);
        IndexWriter writer = new IndexWriter(d, indexConfig(bp));
        BufferedReader in = new BufferedReader(
            new InputStreamReader(new FileInputStream(tsv), StandardCharsets.UTF_8), 1 << 20)) {
      Document doc = new Document();
      StoredField idField = new StoredField("id", "");
      Field textField = new TextField("text", "", Field.Store.NO);
      doc.add(idField);
      doc.add(textField);
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) continue;
        int tab = line.indexOf('\t');
        idField.setStringValue(tab < 0 ? line : line.substring(0, tab));
        textField.setStringValue(tab < 0 ? "" : line.substring(tab + 1));
        writer.addDocument(doc);
        n++;
      }
      writer.forceMerge(1, true);
      writer.commit();
    }
    String extra = "";
    if (bp) {
      String flag = bpReordered(path);
      boolean rewritten = flag == null;
      if (rewritten) {
        // All docs fitted in one flush: forceMerge(1) keeps that segment as it is, so nothing
        // was merged or reordered. Rewrite it through addIndexes, which the policy reorders
        // as a forced merge, into a sibling directory, then move the files back.
        Path tmp = Paths.get(dir + ".bp");
        if (Files.isDirectory(tmp)) {  // Left by a build that failed.
          try (Stream<Path> files = Files.list(tmp)) {
            for (Path f : (Iterable<Path>) files::iterator) Files.delete(f);
          }
        }
        try (Directory src = FSDirectory.open(path);
            DirectoryReader reader = DirectoryReader.open(src);
            Directory dst = FSDirectory.open(tmp);
            IndexWriter writer = new IndexWriter(dst, indexConfig(true))) {
          writer.addIndexes(SlowCodecReaderWrapper.wrap(reader.leaves().get(0).reader()));
          writer.commit();
        }
        try (Stream<Path> files = Files.list(path)) {
          for (Path f : (Iterable<Path>) files::iterator) Files.delete(f);
        }
        try (Stream<Path> files = Files.list(tmp)) {
          for (Path f : (Iterable<Path>) files::iterator) {
            if (f.getFileName().toString().equals("write.lock")) {
              Files.delete(f);
            } else {
              Files.move(f, path.resolve(f.getFileName()));
            }
          }
        }
        Files.delete(tmp);
        flag = bpReordered(path);
      }
      if (!"true".equals(flag)) {  // The policy skips reordering when the RAM budget is short.
        throw new IllegalStateException("BP reordering did not run: bp.reordered=" + flag);
      }
      extra = ", \"bp_reordered\": true, \"bp_rewrite\": " + rewritten;
    }
    System.out.printf(
        "{\"docs\": %d, \"lucene\": \"%s\", \"java\": \"%s\", \"seconds\": %.3f%s}%n", n,
        Version.LATEST, System.getProperty("java.version"), (System.nanoTime() - t0) / 1e9, extra);
  }

  static IndexWriterConfig liveConfig(IndexWriterConfig.OpenMode mode) {
    return new IndexWriterConfig(new WhitespaceAnalyzer())
        .setOpenMode(mode)
        .setRAMBufferSizeMB(256)
        .setMergeScheduler(new SerialMergeScheduler())
        .setSimilarity(new BM25Similarity());
  }

  // "id\tprice\ttext" (price may be empty: no value).
  static Document liveDoc(String line) {
    String[] parts = line.split("\t", 3);
    Document doc = new Document();
    doc.add(new StringField("id", parts[0], Field.Store.YES));
    doc.add(new TextField("text", parts.length > 2 ? parts[2] : "", Field.Store.NO));
    if (parts.length > 1 && !parts[1].isEmpty()) {
      double price = Double.parseDouble(parts[1]);
      doc.add(new DoubleDocValuesField("price", price));
      doc.add(new StoredField("price", price));
    }
    return doc;
  }

  static void liveIndex(String tsv, String dir) throws Exception {
    long t0 = System.nanoTime();
    long n = 0;
    try (Directory d = FSDirectory.open(Paths.get(dir));
        IndexWriter writer = new IndexWriter(d, liveConfig(IndexWriterConfig.OpenMode.CREATE));
        BufferedReader in = new BufferedReader(
            new InputStreamReader(new FileInputStream(tsv), StandardCharsets.UTF_8), 1 << 20)) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) continue;
        writer.addDocument(liveDoc(line));
        n++;
      }
      writer.forceMerge(1, true);
      writer.commit();
    }
    System.out.printf("{\"docs\": %d, \"lucene\": \"%s\", \"java\": \"%s\", \"seconds\": %.3f}%n",
        n, Version.LATEST, System.getProperty("java.version"), (System.nanoTime() - t0) / 1e9);
  }

  static void liveUpdate(String dir, String mode, String[] batches) throws Exception {
    StringBuilder ms = new StringBuilder();
    try (Directory d = FSDirectory.open(Paths.get(dir));
        IndexWriter writer = new IndexWriter(d, liveConfig(IndexWriterConfig.OpenMode.APPEND))) {
      for (String batch : batches) {
        java.util.List<String> lines = java.nio.file.Files.readAllLines(Paths.get(batch));
        long t = System.nanoTime();
        for (String line : lines) {
          if (line.isEmpty()) continue;
          if (mode.equals("set")) {
            String[] parts = line.split("\t", 3);
            writer.updateNumericDocValue(new Term("id", parts[0]), "price",
                Double.doubleToRawLongBits(Double.parseDouble(parts[1])));
          } else {
            writer.updateDocument(new Term("id", line.substring(0, line.indexOf('\t'))),
                liveDoc(line));
          }
        }
        writer.commit();
        if (ms.length() > 0) ms.append(", ");
        ms.append(String.format("%.3f", (System.nanoTime() - t) / 1e6));
      }
    }
    System.out.println("{\"batches_ms\": [" + ms + "], \"lucene\": \"" + Version.LATEST + "\"}");
  }

  // "word~N word~N ..." -> SHOULD clauses of FuzzyQuery(word, N, 0, 50, true).
  static Query fuzzyQuery(String q) {
    BooleanQuery.Builder b = new BooleanQuery.Builder();
    for (String w : q.split(" ")) {
      if (w.isEmpty()) continue;
      int tilde = w.lastIndexOf('~');
      if (tilde < 0) throw new IllegalArgumentException("no ~N in " + w);
      int edits = Integer.parseInt(w.substring(tilde + 1));
      b.add(new FuzzyQuery(new Term("text", w.substring(0, tilde)), edits, 0,
          FuzzyQuery.defaultMaxExpansions, true), BooleanClause.Occur.SHOULD);
    }
    return b.build();
  }

  static void serve(String dir) throws Exception {
    Path path = Paths.get(dir);
    try (DirectoryReader reader = DirectoryReader.open(FSDirectory.open(path));
        BufferedReader in = new BufferedReader(
            new InputStreamReader(System.in, StandardCharsets.UTF_8));
        BufferedWriter out = new BufferedWriter(
            new OutputStreamWriter(System.out, StandardCharsets.UTF_8))) {
      IndexSearcher searcher = new IndexSearcher(reader);
      searcher.setQueryCache(null);
      searcher.setSimilarity(new BM25Similarity());
      QueryParser parser = new QueryParser("text", new WhitespaceAnalyzer());
      parser.setDefaultOperator(QueryParser.Operator.OR);
      String line;
      while ((line = in.readLine()) != null) {
        int tab = line.indexOf('\t');
        String mode = tab < 0 ? line : line.substring(0, tab);
        String q = tab < 0 ? "" : line.substring(tab + 1);
        long t = System.nanoTime();
        String reply;
        if (mode.equals("PING")) {
          reply = "0\t" + (System.nanoTime() - t);
        } else {
          Query query;
          try {
            query = mode.startsWith("FUZZY_") ? fuzzyQuery(q) : parser.parse(q);
          } catch (Exception e) {
            out.write("ERROR\t" + e.getMessage().replace('\n', ' ') + "\n");
            out.flush();
            continue;
          }
          switch (mode) {
            case "COUNT": {
              long c = searcher.count(query);
              reply = c + "\t" + (System.nanoTime() - t);
              break;
            }
            case "TOP_10":
            case "FUZZY_TOP_10": {
              TopDocs td = searcher.search(query, new TopScoreDocCollectorManager(10, null, 10));
              reply = td.scoreDocs.length + "\t" + (System.nanoTime() - t);
              break;
            }
            case "TOP_10_COUNT": {
              TopDocs td = searcher.search(
                  query, new TopScoreDocCollectorManager(10, null, Integer.MAX_VALUE));
              reply = totalHits(td) + "\t" + (System.nanoTime() - t);
              break;
            }
            case "CHECK":
            case "FUZZY_CHECK": {
              TopDocs td = searcher.search(
                  query, new TopScoreDocCollectorManager(10, null, Integer.MAX_VALUE));
              long ns = System.nanoTime() - t;
              StoredFields stored = searcher.storedFields();
              StringBuilder sb = new StringBuilder();
              for (ScoreDoc sd : td.scoreDocs) {
                if (sb.length() > 0) sb.append(' ');
                sb.append(stored.document(sd.doc).get("id")).append(':').append(sd.score);
              }
              reply = totalHits(td) + "\t" + ns + "\t" + sb;
              break;
            }
            default:
              reply = "ERROR\tunsupported mode";
          }
        }
        out.write(reply);
        out.write('\n');
        out.flush();
      }
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("index")) {
      index(args[1], args[2], false);
    } else if (args.length == 4 && args[0].equals("index") && args[1].equals("--bp")) {
      index(args[2], args[3], true);
    } else if (args.length == 2 && args[0].equals("serve")) {
      serve(args[1]);
    } else if (args.length == 3 && args[0].equals("live-index")) {
      liveIndex(args[1], args[2]);
    } else if (args.length >= 4 && args[0].equals("live-update")
        && (args[2].equals("set") || args[2].equals("upsert"))) {
      liveUpdate(args[1], args[2], java.util.Arrays.copyOfRange(args, 3, args.length));
    } else {
      System.err.println("usage: LucenePeer index [--bp] CORPUS.tsv INDEX_DIR | serve INDEX_DIR"
          + " | live-index CORPUS.tsv INDEX_DIR | live-update INDEX_DIR set|upsert BATCH.tsv...");
      System.exit(2);
    }
  }
}
