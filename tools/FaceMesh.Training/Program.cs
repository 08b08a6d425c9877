// facemesh-train CONFIG.json [--resume]   (or: tools/facemesh train CONFIG.json [--resume])
// facemesh-train --throughput [--batch 32] [--steps 10]   training images/s per backbone
// facemesh-train --compare OUT.png RUN_DIR...              finished runs side by side
// Trains a face embedding model as the config says; see TrainingConfig.cs for the fields and
// tools/FaceMesh.Training/experiments/ for examples. Writes checkpoints, metrics.json and curves.png
// into the config's output folder; --resume continues from its newest checkpoint.
using FaceMesh.Training;

if (args.Contains("--throughput"))
{
    // facemesh-train --throughput [--batch 32] [--steps 10]: images/s of training steps per backbone.
    string Arg(string name, string fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? fallback;
    var rows = Throughput.Measure(["mobilefacenet", "iresnet18", "resnet18", "iresnet34", "iresnet50"], int.Parse(Arg("--batch", "32")), 2,
        int.Parse(Arg("--steps", "10")), Console.WriteLine);
    Console.WriteLine("| backbone | parameters | batch | median step | images/s |");
    Console.WriteLine("|---|---|---|---|---|");
    foreach (var r in rows)
        Console.WriteLine($"| {r.Backbone} | {r.Parameters / 1e6:F1} M | {r.Batch} | {r.MedianStepSeconds * 1000:F0} ms | {r.ImagesPerSecond:F1} |");
    return 0;
}
if (args.Length >= 3 && args[0] == "--compare")
{
    // facemesh-train --compare OUT.png RUN_DIR...: finished runs side by side (table on stdout, accuracy curves as PNG).
    var runs = args[2..].Select(Comparison.Read).ToArray();
    foreach (var line in Comparison.Table(runs))
        Console.WriteLine(line);
    Comparison.Plot(args[1], runs);
    Console.WriteLine($"written: {args[1]}");
    return 0;
}
if (args.Length == 0 || args.Contains("--help"))
{
    Console.WriteLine("facemesh train CONFIG.json [--resume] [--pack OUT_DIR --model-id ID [--base-pack deploy/models/default]]   — see tools/FaceMesh.Training/TrainingConfig.cs for the fields");
    return args.Length == 0 ? 2 : 0;
}
try
{
    var config = TrainingConfig.Load(args[0]);
    using var trainer = new Trainer(config);
    if (args.Contains("--resume") && !trainer.Resume())
        Console.WriteLine($"no checkpoint in {config.Output}; starting from the beginning");
    trainer.Run();
    Console.WriteLine($"written: {Path.Combine(config.Output, "metrics.json")}, {Path.Combine(config.Output, "curves.png")}");
    string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    if (Option("--pack") is { } packDirectory)
    {
        // A model pack the fleet serves: --pack deploy/models/mine --model-id mine-0.1 [--base-pack deploy/models/default]
        var pack = FaceMesh.Training.Export.ModelPackWriter.Write(trainer, config, Option("--base-pack") ?? Path.Combine("deploy", "models", "default"),
            packDirectory, Option("--model-id") ?? Path.GetFileName(Path.GetFullPath(packDirectory)));
        Console.WriteLine($"model pack {pack.Directory}: model id {pack.Manifest.ModelId}, thresholds {string.Join(", ", pack.Manifest.Thresholds.Far.Select(kv => $"{kv.Key}: {kv.Value:F4}"))}");
    }
    return 0;
}
catch (Exception e) when (e is InvalidDataException or ArgumentException or DirectoryNotFoundException or FileNotFoundException or FaceMesh.ModelPacks.ModelFileException)
{
    Console.Error.WriteLine($"facemesh train: {e.Message}");
    return 1;
}
