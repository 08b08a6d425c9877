using System.ComponentModel;
using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Benchmarks;

/// <summary>
/// <c>facemesh-bench</c>, parsed as the <c>facemesh</c> CLI parses its commands. Without a mode: per-stage latency
/// of the pipeline; <c>--kernels</c> (BenchmarkDotNet; further arguments go to it), <c>--search</c>, <c>--decode</c>
/// and <c>--crowd</c> measure what they name. Each prints a table and writes its JSON.
/// </summary>
public sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--kernels")]
        [Description("BenchmarkDotNet's kernels (in process); the remaining arguments go to BenchmarkDotNet.")]
        public bool Kernels { get; init; }

        [CommandOption("--search")]
        [Description("Exact search in the embedded store at each gallery size.")]
        public bool Search { get; init; }

        [CommandOption("--cluster")]
        [Description("People at scale: faces grouped as they arrive, clustered again, then --added more.")]
        public bool Cluster { get; init; }

        [CommandOption("--service")]
        [Description("Cluster: the same through the Matcher's people (PeopleBook, an in-memory embedded store), photo by photo.")]
        public bool Service { get; init; }

        [CommandOption("--added <N>")]
        [Description("Cluster: faces added after the gallery is clustered.")]
        [DefaultValue(1000)]
        public int Added { get; init; } = 1000;

        [CommandOption("--decode")]
        [Description("Decoding a 12 MP JPEG at each scale.")]
        public bool Decode { get; init; }

        [CommandOption("--crowd")]
        [Description("The crowd mode's cost per photo size.")]
        public bool Crowd { get; init; }

        [CommandOption("--root <DIR>")]
        [Description("The repository (default: the current folder).")]
        public string Root { get; init; } = Directory.GetCurrentDirectory();

        [CommandOption("--pack <DIR>")]
        public string? Pack { get; init; }

        [CommandOption("--examples <DIR>")]
        public string? Examples { get; init; }

        [CommandOption("--wider <DIR>")]
        public string? Wider { get; init; }

        [CommandOption("--runs <N>")]
        [Description("Runs per measurement (default: 50 per stage, 20 per decode, 9 per crowd photo).")]
        public int? Runs { get; init; }

        [CommandOption("--sizes <LIST>")]
        [DefaultValue("100000,1000000")]
        public string Sizes { get; init; } = "100000,1000000";

        [CommandOption("--faiss")]
        [Description("Search: also time FAISS's exact flat index on the same kind of vectors in the same run "
                     + "(tools/bench/faiss-search; Debian's python3-faiss).")]
        public bool Faiss { get; init; }

        [CommandOption("--real")]
        [Description("Search real embeddings (celeba-dev) instead of random unit vectors.")]
        public bool Real { get; init; }

        [CommandOption("--queries <N>")]
        [DefaultValue(256)]
        public int Queries { get; init; } = 256;

        [CommandOption("--no-restart")]
        public bool NoRestart { get; init; }

        [CommandOption("--json <OUT>")]
        public string? Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (settings.Kernels)
        {
            // In-process: the kernels need no separate build of a generated project.
            var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
            BenchmarkRunner.Run<Kernels>(config, context.Remaining.Raw.ToArray());
            return 0;
        }
        if (settings.Search)
            return RunSearch(settings);
        if (settings.Cluster)
            return RunCluster(settings);
        if (settings.Decode)
            return RunDecode(settings);
        if (settings.Crowd)
            return RunCrowd(settings);
        return RunPipeline(settings);
    }

    private static int RunSearch(Settings settings)
    {
        var root = settings.Root;
        bool real = settings.Real;
        var sizes = settings.Sizes.Split(',').Select(int.Parse).ToArray();
        var (rows, restarts) = new SearchBenchmark(root, 512, settings.Queries).Run(sizes, real, !settings.NoRestart);
        if (settings.Faiss)
            foreach (int size in sizes)
            {
                rows.AddRange(SearchBenchmark.Faiss(root, size, Environment.ProcessorCount));
                // OpenBLAS 0.3.21 takes this machine's AVX-512 cores for Haswell (AVX2); its AVX-512 kernels are faster.
                if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
                    rows.AddRange(SearchBenchmark.Faiss(root, size, Environment.ProcessorCount, "SkylakeX"));
            }
        var searchTable = new Table().AddColumns("data", "gallery", "scan", "batch", "p50 ms", "p99 ms", "p50 ms/query", "recall@10", "bytes/vector")
            .Title($"Embedded exact search, 512-d, top-10, {Environment.ProcessorCount} cores");
        foreach (var r in rows)
            searchTable.AddRow(Markup.Escape(r.Data), $"{r.Gallery:N0}", Markup.Escape(r.Scan), $"{r.Batch}", $"{r.P50Ms:F2}",
                double.IsNaN(r.P99Ms) ? "-" : $"{r.P99Ms:F2}",
                $"{r.PerQueryP50Ms:F3}", $"{r.RecallAt10:F4}", $"{r.BytesPerVector:F0}");
        AnsiConsole.Write(searchTable);
        foreach (var r in restarts)
            Console.WriteLine($"restart of a persisted store with {r.Gallery:N0} vectors: ready in {r.ReadySeconds:F1} s (snapshot {r.SnapshotGigabytes:F2} GB written in {r.SnapshotSeconds:F1} s)");
        var searchJson = settings.Json ?? Path.Combine(root, "artifacts", "bench", real ? "search-real.json" : "search.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(searchJson))!);
        var options = new JsonSerializerOptions
        {
            WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        File.WriteAllText(searchJson, JsonSerializer.Serialize(new { cores = Environment.ProcessorCount, rows, restarts }, options) + "\n");
        Console.WriteLine($"written: {searchJson}");
        return 0;
    }

    private static int RunCluster(Settings settings)
    {
        if (settings.Service)
            return RunPeopleService(settings);
        var rows = settings.Sizes.Split(',').Select(int.Parse)
            .Select(size => new ClusterBenchmark(settings.Root).Run(size, settings.Added)).ToList();
        var table = new Table()
            .AddColumns("faces", "grouped as they arrived, s", "clustered again, s", "added", "added in, s", "bytes/face")
            .AddColumns("groups", "people", "BCubed F real", "BCubed F generated")
            .Title($"People: average linkage at FAR 1e-3, default pack, {Environment.ProcessorCount} cores");
        foreach (var r in rows)
            table.AddRow($"{r.Faces:N0}", $"{r.AddAllSeconds:F1}", $"{r.ReclusterSeconds:F1}", $"{r.Added:N0}", $"{r.AddSeconds:F2}",
                $"{r.BytesPerFace:F0}", $"{r.Groups:N0}", $"{r.People:N0}", $"{r.RealBCubedF:F4}", $"{r.GeneratedBCubedF:F4}");
        if (Console.IsOutputRedirected)
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160); // a log keeps the table's rows whole
        AnsiConsole.Write(table);
        var json = settings.Json ?? Path.Combine(settings.Root, "artifacts", "bench", "cluster.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
        var options = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(json, JsonSerializer.Serialize(new { cores = Environment.ProcessorCount, rows }, options) + "\n");
        Console.WriteLine($"written: {json}");
        return 0;
    }

    private static int RunPeopleService(Settings settings)
    {
        var rows = settings.Sizes.Split(',').Select(int.Parse)
            .Select(size => new ClusterBenchmark(settings.Root).RunService(size, settings.Added)).ToList();
        var table = new Table()
            .AddColumns("faces", "added as photos of 8, s", "regrouped, s", "then added", "one face a photo, s", "per photo median ms",
                "p95 ms")
            .AddColumns("bytes/face", "people")
            .Title($"People through the Matcher (PeopleBook, embedded store in memory), {Environment.ProcessorCount} cores");
        foreach (var r in rows)
            table.AddRow($"{r.Faces:N0}", $"{r.AddAllSeconds:F1}", $"{r.RegroupSeconds:F1}", $"{r.Added:N0}", $"{r.AddSeconds:F2}",
                $"{r.PhotoMedianMs:F2}", $"{r.PhotoP95Ms:F2}", $"{r.BytesPerFace:F0}", $"{r.People:N0}");
        if (Console.IsOutputRedirected)
            AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);
        AnsiConsole.Write(table);
        var json = settings.Json ?? Path.Combine(settings.Root, "artifacts", "bench", "people-service.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
        File.WriteAllText(json, JsonSerializer.Serialize(new { cores = Environment.ProcessorCount, rows },
            new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"written: {json}");
        return 0;
    }

    private static int RunDecode(Settings settings)
    {
        var root = settings.Root;
        var decodeRows = new DecodeBenchmark(settings.Wider ?? Path.Combine(root, "..", "shared", "datasets", "wider-dev", "images"), settings.Runs ?? 20).Run();
        var decodeTable = new Table().AddColumns("decode", "output", "median ms", "p90 ms", "peak MB").Title($"Decoding a 12 MP JPEG, {Environment.ProcessorCount} cores");
        foreach (var r in decodeRows)
            decodeTable.AddRow(Markup.Escape(r.Decode), r.Output, $"{r.MedianMs:F1}", $"{r.P90Ms:F1}", $"{r.PeakMegabytes:F1}");
        AnsiConsole.Write(decodeTable);
        var decodeJson = settings.Json ?? Path.Combine(root, "artifacts", "bench", "decode.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(decodeJson))!);
        File.WriteAllText(decodeJson, JsonSerializer.Serialize(new { cores = Environment.ProcessorCount, rows = decodeRows }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return 0;
    }

    private static int RunCrowd(Settings settings)
    {
        var root = settings.Root;
        var crowdRows = new CrowdBenchmark(settings.Pack ?? Path.Combine(root, "deploy", "models", "default"),
            settings.Wider ?? Path.Combine(root, "..", "shared", "datasets", "wider-dev", "images"), settings.Runs ?? 9).Run();
        var crowdTable = new Table().AddColumns("photo", "mode", "median ms", "p90 ms", "faces").Title($"Faces in a crowd photo, {Environment.ProcessorCount} cores, one thread");
        foreach (var r in crowdRows)
            crowdTable.AddRow(r.Photo, Markup.Escape(r.Mode), $"{r.MedianMs:F0}", $"{r.P90Ms:F0}", $"{r.Faces}");
        AnsiConsole.Write(crowdTable);
        var crowdJson = settings.Json ?? Path.Combine(root, "artifacts", "bench", "crowd.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(crowdJson))!);
        File.WriteAllText(crowdJson, JsonSerializer.Serialize(new { cores = Environment.ProcessorCount, rows = crowdRows }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        return 0;
    }

    private static int RunPipeline(Settings settings)
    {
        var root = settings.Root;
        var pack = settings.Pack ?? Path.Combine(root, "deploy", "models", "default");
        var examples = settings.Examples ?? Path.Combine(root, "..", "shared", "datasets", "examples", "examples");
        int runs = settings.Runs ?? 50;
        var json = settings.Json ?? Path.Combine(root, "artifacts", "bench", "pipeline.json");

        var timings = new PipelineBenchmark(pack, examples, runs).Run();
        var table = new Table().AddColumns("stage", "input", "median ms", "p90 ms", "faces/s").Title($"FaceMesh pipeline, {Environment.ProcessorCount} cores, {runs} runs");
        foreach (var t in timings)
            table.AddRow(Markup.Escape(t.Stage), Markup.Escape(t.Input), $"{t.MedianMs:F2}", $"{t.P90Ms:F2}", t.PerSecond is { } s ? $"{s:F0}" : "");
        AnsiConsole.Write(table);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
        File.WriteAllText(json, JsonSerializer.Serialize(new { cores = Environment.ProcessorCount, runs, timings }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"written: {json}");
        return 0;
    }
}
