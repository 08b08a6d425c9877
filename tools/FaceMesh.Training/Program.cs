// facemesh-train CONFIG.json [--resume]   (or: tools/facemesh train CONFIG.json [--resume])
// Trains a face embedding model as the config says; see TrainingConfig.cs for the fields and
// tools/FaceMesh.Training/experiments/ for examples. Writes checkpoints, metrics.json and curves.png
// into the config's output folder; --resume continues from its newest checkpoint.
using FaceMesh.Training;

if (args.Length == 0 || args.Contains("--help"))
{
    Console.WriteLine("facemesh train CONFIG.json [--resume]   — see tools/FaceMesh.Training/TrainingConfig.cs for the fields");
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
    return 0;
}
catch (Exception e) when (e is InvalidDataException or ArgumentException or DirectoryNotFoundException or FileNotFoundException)
{
    Console.Error.WriteLine($"facemesh train: {e.Message}");
    return 1;
}
