using System.ComponentModel;
using Spectre.Console;
using Spectre.Console.Cli;

namespace FaceMesh.Training;

/// <summary>
/// <c>facemesh-train</c> (or <c>tools/facemesh train</c>), parsed as the <c>facemesh</c> CLI parses its commands:
/// <c>CONFIG.json [--resume] [--pack OUT_DIR | --liveness-pack OUT_DIR] [--model-id ID] [--base-pack DIR]</c> trains as the config says;
/// <c>--throughput [--batch 32] [--steps 10]</c> measures training images/s per backbone;
/// <c>--compare OUT.png RUN_DIR...</c> puts finished runs side by side.
/// </summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[PATHS]")]
        [Description("The experiment (CONFIG.json; fields in TrainingConfig.cs), or with --compare the finished runs' folders.")]
        public string[] Paths { get; init; } = [];

        [CommandOption("--resume")]
        [Description("Go on from the newest checkpoint in the config's output folder.")]
        public bool Resume { get; init; }

        [CommandOption("--pack <DIR>")]
        [Description("After training, write a model pack the fleet serves into DIR.")]
        public string? Pack { get; init; }

        [CommandOption("--liveness-pack <DIR>")]
        [Description("After training a live/attack classifier on liveness crops, write a liveness pack into DIR " +
                     "(threshold chosen on the calibration subjects).")]
        public string? LivenessPack { get; init; }

        [CommandOption("--model-id <ID>")]
        [Description("The pack's model id (default: DIR's name).")]
        public string? ModelId { get; init; }

        [CommandOption("--base-pack <DIR>")]
        [Description("The pack whose detector and landmarks the new pack keeps.")]
        [DefaultValue("deploy/models/default")]
        public string BasePack { get; init; } = Path.Combine("deploy", "models", "default");

        [CommandOption("--throughput")]
        [Description("Measure training images/s per backbone instead of training.")]
        public bool Throughput { get; init; }

        [CommandOption("--batch <N>")]
        [DefaultValue(32)]
        public int Batch { get; init; } = 32;

        [CommandOption("--steps <N>")]
        [DefaultValue(10)]
        public int Steps { get; init; } = 10;

        [CommandOption("--compare <OUT_PNG>")]
        [Description("Compare finished runs (their folders as PATHS): a table on stdout, the accuracy curves as a PNG.")]
        public string? Compare { get; init; }

        public override ValidationResult Validate() =>
            Throughput ? ValidationResult.Success()
            : Compare is not null ? (Paths.Length > 0 ? ValidationResult.Success() : ValidationResult.Error("--compare OUT.png needs the runs' folders."))
            : Paths.Length == 1 ? ValidationResult.Success()
            : ValidationResult.Error("Name one experiment: facemesh-train CONFIG.json (the fields are in tools/FaceMesh.Training/TrainingConfig.cs).");
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (settings.Throughput)
            return MeasureThroughput(settings);
        if (settings.Compare is { } plot)
        {
            var runs = settings.Paths.Select(Comparison.Read).ToArray();
            foreach (var line in Comparison.Table(runs))
                Console.WriteLine(line);
            Comparison.Plot(plot, runs);
            Console.WriteLine($"written: {plot}");
            return 0;
        }
        try
        {
            return Train(settings);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or DirectoryNotFoundException or FileNotFoundException
                                       or FaceMesh.ModelPacks.ModelFileException)
        {
            Console.Error.WriteLine($"facemesh train: {e.Message}");
            return 1;
        }
    }

    private static int Train(Settings settings)
    {
        var config = TrainingConfig.Load(settings.Paths[0]);
        using var trainer = new Trainer(config);
        if (settings.Resume && !trainer.Resume())
            Console.WriteLine($"no checkpoint in {config.Output}; starting from the beginning");
        trainer.Run();
        Console.WriteLine($"written: {Path.Combine(config.Output, "metrics.json")}, {Path.Combine(config.Output, "curves.png")}");
        if (settings.Pack is { } packDirectory)
        {
            var pack = Export.ModelPackWriter.Write(trainer, config, settings.BasePack, packDirectory,
                settings.ModelId ?? Path.GetFileName(Path.GetFullPath(packDirectory)));
            var thresholds = string.Join(", ", pack.Manifest.Thresholds.Far.Select(kv => $"{kv.Key}: {kv.Value:F4}"));
            Console.WriteLine($"model pack {pack.Directory}: model id {pack.Manifest.ModelId}, thresholds {thresholds}");
        }
        if (settings.LivenessPack is { } livenessDirectory)
        {
            var (pack, calibration) = Export.LivenessPackWriter.Write(trainer, config, livenessDirectory,
                settings.ModelId ?? Path.GetFileName(Path.GetFullPath(livenessDirectory)));
            Console.WriteLine($"liveness pack {pack.Directory}: model id {pack.Manifest.ModelId}, threshold {calibration.Threshold:G4} " +
                              $"(least ACER on the calibration subjects' {calibration.Live} live and {calibration.Attack} attack crops: " +
                              $"APCER {calibration.Apcer:P2}, BPCER {calibration.Bpcer:P2})");
        }
        return 0;
    }

    private static int MeasureThroughput(Settings settings)
    {
        var rows = Training.Throughput.Measure(["mobilefacenet", "iresnet18", "resnet18", "iresnet34", "iresnet50"], settings.Batch, 2,
            settings.Steps, Console.WriteLine);
        Console.WriteLine("| backbone | parameters | batch | median step | images/s |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var r in rows)
            Console.WriteLine($"| {r.Backbone} | {r.Parameters / 1e6:F1} M | {r.Batch} | {r.MedianStepSeconds * 1000:F0} ms | {r.ImagesPerSecond:F1} |");
        return 0;
    }
}
