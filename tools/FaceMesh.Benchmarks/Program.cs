using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using FaceMesh.Benchmarks;
using Spectre.Console;

// facemesh-bench [--pack DIR] [--examples DIR] [--runs N] [--json OUT] | --kernels
if (args.Contains("--kernels"))
{
    // In-process: the kernels need no separate build of a generated project.
    var config = DefaultConfig.Instance.AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance));
    BenchmarkRunner.Run<Kernels>(config, args.Where(a => a != "--kernels").ToArray());
    return 0;
}
string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
var root = Arg("--root", Directory.GetCurrentDirectory());
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
