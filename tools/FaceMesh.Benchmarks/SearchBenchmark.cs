using System.Diagnostics;
using System.Runtime.InteropServices;
using FaceMesh.Imaging;
using FaceMesh.Matching;
using FaceMesh.Matching.Embedded;
using FaceMesh.Pipeline;
using Spectre.Console;

namespace FaceMesh.Benchmarks;

/// <summary>
/// Exact search in the embedded store: p50/p99 latency per query at batch 1 and 64, float against the int8
/// scan with float re-ranking, recall@10 of each against exact float search (computed separately, one query at
/// a time), memory per vector, and the time a persisted store of that size takes to be ready after a restart.
/// Galleries: random unit vectors, or the real embeddings of celeba-dev's photos (each face its own subject)
/// filled up with random ones; the queries are then the real embeddings.
/// </summary>
public sealed class SearchBenchmark(string root, int dimension, int queries)
{
    public sealed record Row(string Data, int Gallery, string Scan, int Batch, double P50Ms, double P99Ms, double PerQueryP50Ms, double RecallAt10, double BytesPerVector);

    public sealed record Restart(int Gallery, double SnapshotSeconds, double ReadySeconds, double SnapshotGigabytes);

    public (List<Row> Rows, List<Restart> Restarts) Run(IReadOnlyList<int> sizes, bool real, bool restart)
    {
        var rows = new List<Row>();
        var restarts = new List<Restart>();
        var realVectors = real ? RealEmbeddings() : [];
        foreach (int size in sizes)
        {
            var random = new Random(size);
            var vectors = new float[size][];
            for (int i = 0; i < size; i++)
                vectors[i] = i < realVectors.Count ? realVectors[i] : RandomUnit(random, dimension);
            var queryVectors = real
                ? Enumerable.Range(0, queries).Select(i => realVectors[(i * 7919) % realVectors.Count]).ToArray()
                : Enumerable.Range(0, queries).Select(_ => RandomUnit(random, dimension)).ToArray();
            string data = real ? $"real ({realVectors.Count:N0}) + random" : "random";

            GalleryIndex? exact = null;
            IReadOnlyList<SubjectMatch>[]? truth = null;
            foreach (bool int8 in new[] { false, true })
            {
                long before = Memory();
                var index = Build(vectors, int8);
                double bytes = (Memory() - before) / (double)size;
                truth ??= queryVectors.Select(q => index.Search([q], "bench", 10)[0]).ToArray();
                foreach (int batch in new[] { 1, 64 })
                {
                    double recall = Recall(index, queryVectors, truth, batch);
                    var (p50, p99) = Latency(index, queryVectors, batch);
                    rows.Add(new Row(data, size, int8 ? "int8 + re-rank" : "float", batch, p50, p99, p50 / batch, recall, bytes));
                    AnsiConsole.MarkupLine(Markup.Escape($"  {size:N0} {(int8 ? "int8" : "float")} batch {batch}: p50 {p50:F2} ms, p99 {p99:F2} ms, recall@10 {recall:F4}, {bytes:F0} B/vector"));
                }
                if (int8)
                    index = null;
                else
                    exact = index;
            }
            if (restart)
                restarts.Add(MeasureRestart(vectors));
            exact = null;
            GC.Collect();
        }
        return (rows, restarts);
    }

    /// <summary>FAISS's exact flat index (IndexFlatIP) on <paramref name="size"/> random 512-d unit vectors, top-10 at
    /// batch 1 and 64 with <paramref name="threads"/> threads, by <c>tools/bench/faiss-search</c> (Debian's python3-faiss).</summary>
    /// <param name="coreType">OpenBLAS's kernels by name (<c>OPENBLAS_CORETYPE</c>), null for the ones it detects.</param>
    public static IEnumerable<Row> Faiss(string root, int size, int threads, string? coreType = null)
    {
        var script = Path.Combine(root, "tools", "bench", "faiss-search");
        var start = new ProcessStartInfo(script, ["--size", $"{size}", "--threads", $"{threads}"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        if (coreType is not null)
            start.Environment["OPENBLAS_CORETYPE"] = coreType;
        string kernels = coreType is null ? "" : $", OpenBLAS {coreType} kernels";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{script} did not start.");
        string output = process.StandardOutput.ReadToEnd(), errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException(
                $"{script} failed ({process.ExitCode}): {errors.Trim()} (install Debian's python3-faiss and OpenBLAS: "
                + "apt-get install -y python3-faiss libopenblas0-pthread)");
        using var json = System.Text.Json.JsonDocument.Parse(output);
        string version = json.RootElement.GetProperty("faiss").GetString() ?? "";
        foreach (var batch in json.RootElement.GetProperty("batches").EnumerateObject())
        {
            double perQuery = batch.Value.GetProperty("per_query_ms_p50").GetDouble();
            int n = int.Parse(batch.Name);
            AnsiConsole.MarkupLine(Markup.Escape($"  {size:N0} FAISS {version} flat{kernels} batch {n}: {perQuery:F3} ms/query"));
            yield return new Row("random", size, $"FAISS {version} IndexFlatIP{kernels}", n, perQuery * n, double.NaN, perQuery,
                1.0, 4 * 512);
        }
    }

    private static long Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }

    private GalleryIndex Build(float[][] vectors, bool int8)
    {
        var index = new GalleryIndex(new GalleryKey("bench", "bench"), int8);
        const int batch = 4096;
        for (int start = 0; start < vectors.Length; start += batch)
            index.Upsert(Enumerable.Range(start, Math.Min(batch, vectors.Length - start))
                .Select(i => new EnrolledFace($"f{i:D7}", $"f{i:D7}", vectors[i], "bench", 1)).ToArray());
        return index;
    }

    /// <summary>Recall@10 against <paramref name="truth"/>, the queries asked <paramref name="batch"/> at a time (a batch takes
    /// the blocked kernels, a single query the row-by-row scan).</summary>
    private static double Recall(GalleryIndex index, float[][] queries, IReadOnlyList<SubjectMatch>[] truth, int batch)
    {
        int hit = 0, total = 0;
        for (int start = 0; start < queries.Length; start += batch)
        {
            var answers = index.Search(queries[start..Math.Min(queries.Length, start + batch)], "bench", 10);
            for (int i = 0; i < answers.Length; i++)
            {
                var found = answers[i].Select(m => m.FaceId).ToHashSet();
                hit += truth[start + i].Count(m => found.Contains(m.FaceId));
                total += truth[start + i].Count;
            }
        }
        return hit / (double)total;
    }

    private static (double P50, double P99) Latency(GalleryIndex index, float[][] queries, int batch)
    {
        for (int w = 0; w < 3; w++)
            index.Search(queries.Take(batch).ToArray(), "bench", 10); // warm-up (the JIT's tiers)
        var times = new List<double>();
        int runs = Math.Max(31, queries.Length / batch);
        for (int r = 0; r < runs; r++)
        {
            var slice = Enumerable.Range(r * batch, batch).Select(i => queries[i % queries.Length]).ToArray();
            var clock = Stopwatch.StartNew();
            index.Search(slice, "bench", 10);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return (times[times.Count / 2], times[Math.Min(times.Count - 1, (int)Math.Ceiling(times.Count * 0.99) - 1)]);
    }

    private Restart MeasureRestart(float[][] vectors)
    {
        var directory = Path.Combine(root, "artifacts", "bench", "restart-store");
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
        var options = new EmbeddedStoreOptions { DataDirectory = directory, SnapshotAfterLogBytes = long.MaxValue };
        var key = new GalleryKey("bench", "bench");
        double snapshotSeconds;
        using (var store = new EmbeddedVectorStore(options))
        {
            const int batch = 400; // one log record each (under the 1 MiB record limit at 512 floats)
            for (int start = 0; start < vectors.Length; start += batch)
                store.UpsertAsync(key, Enumerable.Range(start, Math.Min(batch, vectors.Length - start))
                    .Select(i => new EnrolledFace($"f{i:D7}", $"s{i / 4:D7}", vectors[i], "bench", 1)).ToArray()).GetAwaiter().GetResult();
            var clock = Stopwatch.StartNew();
            store.Snapshot();
            snapshotSeconds = clock.Elapsed.TotalSeconds;
        }
        double gigabytes = Directory.GetFiles(directory).Sum(f => new FileInfo(f).Length) / 1e9;
        GC.Collect();
        var ready = Stopwatch.StartNew();
        using (var reopened = new EmbeddedVectorStore(options))
        {
            ready.Stop();
            if (reopened.Catalog.Get(key).FaceCount != vectors.Length)
                throw new InvalidOperationException("The restarted store lost faces.");
        }
        Directory.Delete(directory, recursive: true);
        AnsiConsole.MarkupLine(Markup.Escape($"  restart with {vectors.Length:N0} vectors: snapshot {snapshotSeconds:F1} s ({gigabytes:F2} GB), ready in {ready.Elapsed.TotalSeconds:F1} s"));
        return new Restart(vectors.Length, snapshotSeconds, ready.Elapsed.TotalSeconds, gigabytes);
    }

    /// <summary>A random direction: Gaussian components, normalised (also the people benchmark's).</summary>
    internal static float[] RandomUnit(Random random, int dimension)
    {
        var v = new float[dimension];
        double norm = 0;
        for (int i = 0; i < v.Length; i++)
        {
            // Gaussian components: uniformly distributed directions.
            double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
            v[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            norm += v[i] * v[i];
        }
        float scale = (float)(1 / Math.Sqrt(norm));
        for (int i = 0; i < v.Length; i++)
            v[i] *= scale;
        return v;
    }

    /// <summary>The primary face embedding of every celeba-dev photo, cached in artifacts/bench.</summary>
    private List<float[]> RealEmbeddings()
    {
        var cache = Path.Combine(root, "artifacts", "bench", "celeba-dev-embeddings.f32");
        if (File.Exists(cache))
        {
            var all = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(cache)).ToArray();
            return Enumerable.Range(0, all.Length / dimension).Select(i => all.AsSpan(i * dimension, dimension).ToArray()).ToList();
        }
        var photos = Directory.GetFiles(Path.Combine(root, "..", "shared", "datasets", "celeba-dev"), "*.jpg", SearchOption.AllDirectories).Order().ToArray();
        using var pipeline = FacePipeline.Open(Path.Combine(root, "deploy", "models", "default"));
        var result = new List<float[]>();
        AnsiConsole.Progress().Start(progress =>
        {
            var task = progress.AddTask("embedding celeba-dev", maxValue: photos.Length);
            foreach (var photo in photos)
            {
                var face = pipeline.FindPrimary(ImageDecoder.Decode(File.ReadAllBytes(photo)));
                if (face is not null)
                    result.Add(pipeline.Embed(face));
                task.Increment(1);
            }
        });
        if (result.Count > 0 && result[0].Length != dimension)
            throw new InvalidOperationException($"The model's embeddings have {result[0].Length} values, not {dimension}.");
        Directory.CreateDirectory(Path.GetDirectoryName(cache)!);
        File.WriteAllBytes(cache, MemoryMarshal.AsBytes(result.SelectMany(v => v).ToArray().AsSpan()).ToArray());
        return result;
    }
}
