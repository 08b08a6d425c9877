using FaceMesh.Contracts.V1;
using FaceMesh.Detector;
using FaceMesh.Embedder;
using FaceMesh.Gateway;
using FaceMesh.Imaging;
using FaceMesh.Matcher;
using FaceMesh.Pipeline;
using Grpc.Core;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceMesh.Training.Tests;

/// <summary>Aligned crops of eight celeba-dev identities, made once with the default model pack.</summary>
public sealed class AlignedCrops
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "facemesh-train-tests", Guid.NewGuid().ToString("N"));

    public AlignedCrops()
    {
        var celeba = TestPaths.CelebaDev;
        using var pipeline = FacePipeline.Open(TestPaths.DefaultPack);
        foreach (var identity in Directory.GetDirectories(celeba).Order(StringComparer.Ordinal).Take(8))
        {
            var folder = Directory.CreateDirectory(Path.Combine(Root, Path.GetFileName(identity))).FullName;
            foreach (var photo in Directory.GetFiles(identity, "*.jpg").Order(StringComparer.Ordinal).Take(12))
                if (pipeline.FindPrimary(ImageDecoder.Decode(File.ReadAllBytes(photo))) is { } face)
                    File.WriteAllBytes(Path.Combine(folder, Path.GetFileNameWithoutExtension(photo) + ".png"), ImageEncoder.Encode(face.AlignedCrop));
        }
        // An LFW-format pairs file over the two held-out identities (crops that exist): 10 folds of one same and one different pair.
        var held = Directory.GetDirectories(Root).Select(Path.GetFileName).Order(StringComparer.Ordinal).TakeLast(2).ToArray();
        int[] Numbers(string identity) => Directory.GetFiles(Path.Combine(Root, identity), "*.png")
            .Select(f => int.Parse(Path.GetFileNameWithoutExtension(f).Split('_')[^1])).Order().ToArray();
        var (a, b) = (Numbers(held[0]!), Numbers(held[1]!));
        var lines = new List<string> { "10\t1" };
        for (int fold = 0; fold < 10; fold++)
        {
            var own = fold % 2 == 0 ? a : b;
            lines.Add($"{held[fold % 2]}\t{own[fold % own.Length]}\t{own[(fold + 1) % own.Length]}");
            lines.Add($"{held[0]}\t{a[fold % a.Length]}\t{held[1]}\t{b[(fold + 3) % b.Length]}");
        }
        File.WriteAllLines(Path.Combine(Root, "pairs.txt"), lines);
    }
}

/// <summary>Small, quick training runs on real aligned faces (MobileFaceNet, a few steps).</summary>
public sealed class TrainerTests(AlignedCrops crops) : IClassFixture<AlignedCrops>
{
    private TrainingConfig Config(string name, string loss = "arcface", int epochs = 3, double learningRate = 0.05) => new()
    {
        Data = crops.Root,
        HeldOutIdentities = 2,
        Output = Path.Combine(crops.Root + "-runs", name),
        Backbone = "mobilefacenet",
        Loss = loss,
        Scale = 16,
        Margin = 0.2,
        LearningRate = learningRate,
        WarmupEpochs = 0.5,
        Epochs = epochs,
        BatchSize = 16,
        P = 4,
        K = 4,
        Seed = 7,
    };

    [Theory]
    [InlineData("arcface", 4, 0.05)]
    [InlineData("triplet", 12, 0.2)]
    public void A_tiny_run_lowers_the_training_loss_and_writes_its_report(string loss, int epochs, double learningRate)
    {
        var config = Config("tiny-" + loss, loss, epochs, learningRate);
        using var trainer = new Trainer(config, _ => { });
        var history = trainer.Run();
        Assert.Equal(epochs, history.Count);
        // The loss of one epoch is noisy (batch-hard mining picks new hardest pairs as the model moves; CPU kernels do not
        // add up in the same order every run), so the last quarter of the epochs together is compared with the first quarter.
        int quarter = Math.Max(1, epochs / 4);
        double first = history.Take(quarter).Average(h => h.Loss), last = history.TakeLast(quarter).Average(h => h.Loss);
        Assert.True(last < first * 0.9, $"loss per epoch: {string.Join(", ", history.Select(h => h.Loss.ToString("F3")))}");
        Assert.True(File.Exists(Path.Combine(config.Output, "metrics.json")));
        Assert.True(new FileInfo(Path.Combine(config.Output, "curves.png")).Length > 10_000);
        Assert.Equal(epochs, Directory.GetDirectories(Path.Combine(config.Output, "checkpoints")).Length);
    }

    [Fact]
    public void A_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one()
    {
        var straight = Config("straight", epochs: 2);
        using (var trainer = new Trainer(straight, _ => { }))
            trainer.Run();

        var interrupted = Config("interrupted", epochs: 2);
        int stepsPerEpoch = (new Data.FaceFolder(crops.Root, 2).Train.Count) / interrupted.BatchSize;
        using (var first = new Trainer(interrupted with { MaxSteps = stepsPerEpoch }, _ => { }))
            Assert.Single(first.Run()); // stops after the first epoch, as a crash after its checkpoint would
        using var resumed = new Trainer(interrupted, _ => { });
        Assert.True(resumed.Resume());
        Assert.Equal(1, resumed.Epoch);
        resumed.Run();

        using var reference = new Trainer(straight, _ => { });
        Assert.True(reference.Resume()); // the uninterrupted run's final checkpoint
        var a = reference.Backbone.state_dict();
        var b = resumed.Backbone.state_dict();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (name, tensor) in a)
            Assert.True(tensor.to_type(ScalarType.Float64).allclose(b[name].to_type(ScalarType.Float64), rtol: 0, atol: 1e-6), $"{name} differs");
    }

    [Fact]
    public void The_held_out_evaluation_runs_the_lfw_protocol_on_unseen_identities()
    {
        var config = Config("evaluated", epochs: 1) with { EvalPairs = Path.Combine(crops.Root, "pairs.txt") };
        using var trainer = new Trainer(config, _ => { });
        var metrics = trainer.Run()[0];
        Assert.Equal(0, metrics.PairsSkipped);
        Assert.InRange(metrics.HeldOutAccuracy!.Value, 0.0, 1.0);
        Assert.NotNull(metrics.TarAtFar1e2);
        // The held-out identities are not among the training classes.
        var data = new Data.FaceFolder(crops.Root, 2);
        Assert.Equal(6, data.TrainIdentities.Count);
        Assert.Empty(data.TrainIdentities.Intersect(data.HeldOutIdentities));
    }

    [Fact]
    public void An_imagenet_initialised_resnet18_fine_tunes()
    {
        var config = Config("imagenet", epochs: 2) with { Backbone = "resnet18", Pretrained = "imagenet" };
        using var trainer = new Trainer(config, _ => { });
        var history = trainer.Run();
        Assert.True(history[^1].Loss < history[0].Loss, $"loss per epoch: {string.Join(", ", history.Select(h => h.Loss.ToString("F3")))}");
        var e = Assert.Throws<ArgumentException>(() => Trainer.CreateBackbone(new TrainingConfig { Backbone = "iresnet18", Pretrained = "imagenet" }));
        Assert.Contains("resnet18 only", e.Message);
    }

    [Fact]
    public async Task A_trained_model_becomes_a_model_pack_that_the_pipeline_and_the_fleet_serve_unchanged()
    {
        var config = Config("packed", epochs: 1) with { HeldOutIdentities = 3 }; // enough impostor pairs (≥ 100) to calibrate FAR 1e-2
        using var trainer = new Trainer(config, _ => { });
        trainer.Run();
        var packDirectory = Path.Combine(crops.Root + "-runs", "packs", "trained-mfn");
        var pack = Export.ModelPackWriter.Write(trainer, config, TestPaths.DefaultPack, packDirectory, "facemesh-test-mfn-0.1");
        Assert.Equal("facemesh-test-mfn-0.1", pack.Manifest.ModelId);
        Assert.Contains("0.01", pack.Manifest.Thresholds.Far.Keys); // calibrated on the held-out people's pairs
        Assert.True(pack.Manifest.Thresholds.ImpostorPairs > 100);

        // The same code the Embedder service runs: the pack's embedder on real aligned crops equals the trainer's.
        var files = Directory.GetFiles(crops.Root, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(6).ToArray();
        using var pipeline = FaceMesh.Pipeline.FacePipeline.Open(packDirectory);
        Assert.Equal("facemesh-test-mfn-0.1", pipeline.ModelId);
        var served = pipeline.Embedder.Embed(files.Select(f => ImageDecoder.Decode(File.ReadAllBytes(f))).ToArray());
        var trained = trainer.Embed(files);
        for (int i = 0; i < files.Length; i++)
        {
            double worst = served[i].Select((v, k) => Math.Abs(v - trained[i][k])).Max();
            Assert.True(worst <= 1e-4, $"{files[i]}: largest difference {worst:G3}");
        }
        await TrainedPackInTheFleet.Check(packDirectory, TestPaths.DefaultPack, pack.Manifest.Thresholds.Far["0.01"]);

        // A tampered file is refused by its hash, as for any pack.
        File.AppendAllText(Path.Combine(packDirectory, Export.ModelPackWriter.EmbedderFile), "x");
        Assert.Throws<FaceMesh.ModelPacks.ModelFileException>(() => FaceMesh.ModelPacks.ModelPack.Load(packDirectory));
    }

    [Fact]
    public void The_learning_rate_warms_up_then_decays()
    {
        var config = new TrainingConfig { LearningRate = 0.1, WarmupEpochs = 1, Epochs = 4, Schedule = "cosine" };
        Assert.Equal(0.1 * 1 / 10, Trainer.LearningRateAt(config, 0, 10), 9);
        Assert.Equal(0.1, Trainer.LearningRateAt(config, 9, 10), 9);
        Assert.Equal(0.1 * 0.5 * (1 + Math.Cos(Math.PI * 15.0 / 30)), Trainer.LearningRateAt(config, 25, 10), 9);
        var step = config with { Schedule = "step", StepEpochs = [2, 3], StepGamma = 0.1 };
        Assert.Equal(0.1, Trainer.LearningRateAt(step, 15, 10), 9);
        Assert.Equal(0.01, Trainer.LearningRateAt(step, 25, 10), 9);
        Assert.Equal(0.001, Trainer.LearningRateAt(step, 35, 10), 9);
    }

    [Fact]
    public void An_experiment_says_only_what_differs_from_its_base()
    {
        var dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "base.json"), """{ "data": "crops", "epochs": 15, "learningRate": 0.02, "augmentation": { "flip": 0.3, "blur": 0.2 } }""");
        File.WriteAllText(Path.Combine(dir, "run.json"), "// differs in two things\n" + """{ "base": "base.json", "epochs": 50, "augmentation": { "blur": 0.4 } }""");
        var config = TrainingConfig.Load(Path.Combine(dir, "run.json"));
        Assert.Equal(("crops", 50, 0.02), (config.Data, config.Epochs, config.LearningRate));
        Assert.Equal((0.3, 0.4), (config.Augmentation.Flip, config.Augmentation.Blur)); // objects merge field by field

        File.WriteAllText(Path.Combine(dir, "a.json"), """{ "base": "b.json" }""");
        File.WriteAllText(Path.Combine(dir, "b.json"), """{ "base": "a.json" }""");
        Assert.Contains("name each other", Assert.Throws<InvalidDataException>(() => TrainingConfig.Load(Path.Combine(dir, "a.json"))).Message);

        // The shipped experiments: each loads, and the comparison's five share everything but the loss and initialisation.
        var experiments = Path.Combine(TestPaths.RepositoryRoot, "tools", "FaceMesh.Training", "experiments");
        var compared = Directory.GetFiles(Path.Combine(experiments, "benchmark"), "*.json").Select(TrainingConfig.Load).ToArray();
        Assert.Equal(5, compared.Length);
        Assert.Single(compared.Select(c => (c.Data, c.Backbone, c.Epochs, c.BatchSize, c.LearningRate, c.Schedule, c.Seed)).Distinct());
        Assert.Equal(5, compared.Select(c => (c.Loss, c.Pretrained)).Distinct().Count());
        Assert.All(Directory.GetFiles(experiments, "*.json"), f => TrainingConfig.Load(f));
    }

    [Fact]
    public void A_misspelled_setting_in_the_config_file_is_refused()
    {
        var path = Path.Combine(crops.Root, "bad.json");
        File.WriteAllText(path, """{ "data": "x", "lerningRate": 0.1 }""");
        var e = Assert.Throws<InvalidDataException>(() => TrainingConfig.Load(path));
        Assert.Contains("lerningRate", e.Message);
    }
}

/// <summary>
/// The trained pack in the fleet, with no code change: an Embedder serves it next to one serving the default pack,
/// each behind its own Gateway, both sharing one Detector and one Matcher. A gallery works with the model it was
/// enrolled with; the other model is refused with FAILED_PRECONDITION naming both.
/// </summary>
public static class TrainedPackInTheFleet
{
    private const string TrainedModel = "facemesh-test-mfn-0.1";

    private static Contracts.V1.Image Photo(string name) => new() { Content = Google.Protobuf.ByteString.CopyFrom(File.ReadAllBytes(TestPaths.Example(name))) };

    public static async Task Check(string trainedPack, string defaultPack, float trainedThreshold)
    {
        await using var detector = await LoopbackService.Start(DetectorHost.Build, $"--Detector:Pack={defaultPack}");
        await using var matcher = await LoopbackService.Start(MatcherHost.Build);
        await using var trainedEmbedder = await LoopbackService.Start(EmbedderHost.Build, $"--Embedder:Pack={trainedPack}");
        await using var defaultEmbedder = await LoopbackService.Start(EmbedderHost.Build, $"--Embedder:Pack={defaultPack}");
        Task<LoopbackService> Gateway(LoopbackService embedder) => LoopbackService.Start(GatewayHost.Build, LoopbackFleet.Anonymous,
            $"--Gateway:DetectorAddress={detector.GrpcAddress}", $"--Gateway:EmbedderAddress={embedder.GrpcAddress}", $"--Gateway:MatcherAddress={matcher.GrpcAddress}");
        await using var trainedGateway = await Gateway(trainedEmbedder);
        await using var defaultGateway = await Gateway(defaultEmbedder);
        var trained = new FaceMeshApi.FaceMeshApiClient(trainedGateway.Channel);
        var original = new FaceMeshApi.FaceMeshApiClient(defaultGateway.Channel);

        var legacy = await original.EnrollAsync(new EnrollRequest { Gallery = "legacy", SubjectId = "obama", Photos = { new EnrollPhoto { Image = Photo("obama.jpg") } } });
        var enrolled = await trained.EnrollAsync(new EnrollRequest { Gallery = "trained", SubjectId = "obama", Photos = { new EnrollPhoto { Image = Photo("obama.jpg") } } });
        Assert.Equal(TrainedModel, enrolled.ModelId);
        Assert.NotEqual(TrainedModel, legacy.ModelId);

        var identified = await trained.IdentifyAsync(new IdentifyRequest { Gallery = "trained", Image = Photo("obama2.jpg"), Far = 0.01 });
        Assert.Equal(TrainedModel, identified.ModelId);
        Assert.Equal(trainedThreshold, identified.Threshold); // the pack's calibrated threshold decides
        Assert.Equal("obama", identified.Faces.Single().Candidates.Single().SubjectId);
        var verified = await trained.VerifyAsync(new VerifyRequest { Probe = Photo("obama2.jpg"), ReferenceSubject = new EnrolledSubject { Gallery = "trained", SubjectId = "obama" }, Far = 0.01 });
        Assert.Equal(verified.Score >= trainedThreshold, verified.Match);

        // Each model is refused on the other's gallery, saying which models they are.
        var refused = await Assert.ThrowsAsync<RpcException>(async () => await trained.IdentifyAsync(new IdentifyRequest { Gallery = "legacy", Image = Photo("obama2.jpg"), Far = 0.01 }));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains(legacy.ModelId, refused.Status.Detail);
        Assert.Contains(TrainedModel, refused.Status.Detail);
        var back = await Assert.ThrowsAsync<RpcException>(async () => await original.EnrollAsync(new EnrollRequest { Gallery = "trained", SubjectId = "biden", Photos = { new EnrollPhoto { Image = Photo("biden.jpg") } } }));
        Assert.Equal(StatusCode.FailedPrecondition, back.StatusCode);
        Assert.Single((await original.ListSubjectsAsync(new ListSubjectsRequest { Gallery = "trained" })).Subjects); // nothing was added
    }
}
