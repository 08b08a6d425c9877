using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using FaceMesh.Benchmarks;
using Spectre.Console;

// facemesh-bench [--pack DIR] [--examples DIR] [--runs N] [--json OUT] | --kernels | --decode [--wider DIR] [--runs N]
//                | --search [--sizes 100000,1000000] [--real] [--queries N] [--no-restart] [--json OUT]
if (args.Contains("--kernels"))
{
    // In-process: the kernels need no separate build of a generated project.
    var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
    BenchmarkRunner.Run<Kernels>(config, args.Where(a => a != "--kernels").ToArray());
    return 0;
}
string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
var root = Arg("--root", Directory.GetCurrentDirectory());
if (args.Contains("--search"))
{
    bool real = args.Contains("--real");
    var sizes = Arg("--sizes", "100000,1000000").Split(',').Select(int.Parse).ToArray();
    var (rows, restarts) = new SearchBenchmark(root, 512, int.Parse(Arg("--queries", "256"))).Run(sizes, real, !args.Contains("--no-restart"));
    var searchTable = new Table().AddColumns("data", "gallery", "scan", "batch", "p50 ms", "p99 ms", "p50 ms/query", "recall@10", "bytes/vector")
        .Title($"Embedded exact search, 512-d, top-10, {Environment.ProcessorCount} cores");
    foreach (var r in rows)
        searchTable.AddRow(Markup.Escape(r.Data), $"{r.Gallery:N0}", Markup.Escape(r.Scan), $"{r.Batch}", $"{r.P50Ms:F2}", $"{r.P99Ms:F2}", $"{r.PerQueryP50Ms:F3}", $"{r.RecallAt10:F4}", $"{r.BytesPerVector:F0}");
    AnsiConsole.Write(searchTable);
    foreach (var r in restarts)
        Console.WriteLine($"restart of a persisted store with {r.Gallery:N0} vectors: ready in {r.ReadySeconds:F1} s (snapshot {r.SnapshotGigabytes:F2} GB written in {r.SnapshotSeconds:F1} s)");
    var searchJson = Arg("--json", Path.Combine(root, "artifacts", "bench", real ? "search-real.json" : "search.json"));
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(searchJson))!);
    File.WriteAllText(searchJson, JsonSerializer.Serialize(new { cores = Environment.ProcessorCount, rows, restarts }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    Console.WriteLine($"written: {searchJson}");
    return 0;
}
if (args.Contains("--decode"))
{
    var decodeRows = new DecodeBenchmark(Arg("--wider", Path.Combine(root, "..", "shared", "datasets", "wider-dev", "images")), int.Parse(Arg("--runs", "20"))).Run();
    var decodeTable = new Table().AddColumns("decode", "output", "median ms", "p90 ms", "peak MB").Title($"Decoding a 12 MP JPEG, {Environment.ProcessorCount} cores");
    foreach (var r in decodeRows)
        decodeTable.AddRow(Markup.Escape(r.Decode), r.Output, $"{r.MedianMs:F1}", $"{r.P90Ms:F1}", $"{r.PeakMegabytes:F1}");
    AnsiConsole.Write(decodeTable);
    var decodeJson = Arg("--json", Path.Combine(root, "artifacts", "bench", "decode.json"));
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(decodeJson))!);
    File.WriteAllText(decodeJson, JsonSerializer.Serialize(new { cores = Environment.ProcessorCount, rows = decodeRows }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    return 0;
}
if (args.Contains("--crowd"))
{
    var crowdRows = new CrowdBenchmark(Arg("--pack", Path.Combine(root, "deploy", "models", "default")),
        Arg("--wider", Path.Combine(root, "..", "shared", "datasets", "wider-dev", "images")), int.Parse(Arg("--runs", "9"))).Run();
    var crowdTable = new Table().AddColumns("photo", "mode", "median ms", "p90 ms", "faces").Title($"Faces in a crowd photo, {Environment.ProcessorCount} cores, one thread");
    foreach (var r in crowdRows)
        crowdTable.AddRow(r.Photo, Markup.Escape(r.Mode), $"{r.MedianMs:F0}", $"{r.P90Ms:F0}", $"{r.Faces}");
    AnsiConsole.Write(crowdTable);
    var crowdJson = Arg("--json", Path.Combine(root, "artifacts", "bench", "crowd.json"));
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(crowdJson))!);
    File.WriteAllText(crowdJson, JsonSerializer.Serialize(new { cores = Environment.ProcessorCount, rows = crowdRows }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    return 0;
}
var pack = Arg("--pack", Path.Combine(root, "deploy", "models", "default"));
var examples = Arg("--examples", Path.Combine(root, "..", "shared", "datasets", "examples", "examples"));
int runs = int.Parse(Arg("--runs", "50"));
var json = Arg("--json", Path.Combine(root, "artifacts", "bench", "pipeline.json"));

var timings = new PipelineBenchmark(pack, examples, runs).Run();
var table = new Table().AddColumns("stage", "input", "median ms", "p90 ms", "faces/s").Title($"FaceMesh pipeline, {Environment.ProcessorCount} cores, {runs} runs");
foreach (var t in timings)
    table.AddRow(Markup.Escape(t.Stage), Markup.Escape(t.Input), $"{t.MedianMs:F2}", $"{t.P90Ms:F2}", t.PerSecond is { } s ? $"{s:F0}" : "");
AnsiConsole.Write(table);
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(json))!);
File.WriteAllText(json, JsonSerializer.Serialize(new { cores = Environment.ProcessorCount, runs, timings }, new JsonSerializerOptions { WriteIndented = true }) + "\n");
Console.WriteLine($"written: {json}");
return 0;
