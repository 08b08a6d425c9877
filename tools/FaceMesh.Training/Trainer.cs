using System.Diagnostics;
using System.Text.Json;
using FaceMesh.Evaluation;
using FaceMesh.Training.Backbones;
using FaceMesh.Training.Data;
using FaceMesh.Training.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceMesh.Training;

/// <summary>A run's <c>metrics.json</c>: its config and every finished epoch (written by the trainer, read by <see
/// cref="Comparison"/>).</summary>
public sealed record RunMetrics(
    [property: System.Text.Json.Serialization.JsonPropertyName("config")] TrainingConfig Config,
    [property: System.Text.Json.Serialization.JsonPropertyName("epochs")] IReadOnlyList<EpochMetrics> Epochs)
{
    public static RunMetrics Read(string file) => JsonSerializer.Deserialize<RunMetrics>(File.ReadAllText(file), Trainer.Json)
                                                  ?? throw new InvalidDataException($"{file} is empty.");
}

/// <summary>What one epoch measured.</summary>
public sealed record EpochMetrics(int Epoch, int Steps, double Loss, double? TrainAccuracy, double LearningRate, double Seconds,
    double ImagesPerSecond, double? HeldOutAccuracy, double? HeldOutAccuracyStd, double? TarAtFar1e2, int? PairsSkipped);

/// <summary>
/// Trains a backbone with a head (or the triplet loss) as a <see cref="TrainingConfig"/> says, one epoch at a
/// time: progress per tenth of an epoch, a checkpoint after each epoch (backbone, head, optimiser, state),
/// the LFW-protocol evaluation on the held-out pairs, and <c>metrics.json</c> + <c>curves.png</c> in the output
/// folder. Everything random is seeded from the config's seed and the epoch, so a run resumed from a
/// checkpoint continues exactly as the uninterrupted run would have.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly TrainingConfig _config;
    private readonly Action<string> _report;
    private readonly FaceFolder _data;
    private readonly nn.Module<Tensor, Tensor> _backbone;
    private readonly Head? _head;
    private readonly TorchSharp.Modules.OptimizerHelper _optimizer;
    private readonly List<EpochMetrics> _history = [];
    private int _epoch, _step;

    public Trainer(TrainingConfig config, Action<string>? report = null)
    {
        _config = config;
        _report = report ?? Console.WriteLine;
        _data = new FaceFolder(config.Data, config.HeldOutIdentities, [.. config.HeldOutSubjects, .. config.CalibrationSubjects]);
        if (config.EvalPairs is { } pairs && !File.Exists(pairs) && _data.HeldOutIdentities.Count > 0)
        {
            int perFold = LfwPairs.Write(pairs, config.Data, _data.HeldOutIdentities, seed: config.Seed);
            _report($"wrote {pairs}: 10 identity-disjoint folds of {perFold} same-person and {perFold} different-person pairs " +
                    $"over the {_data.HeldOutIdentities.Count} held-out identities");
        }
        manual_seed(config.Seed);
        _backbone = CreateBackbone(config);
        int classes = _data.TrainIdentities.Count;
        _head = config.Loss switch
        {
            "softmax" => new SoftmaxHead(config.EmbeddingSize, classes),
            "cosface" => new CosFaceHead(config.EmbeddingSize, classes, config.Scale, config.Margin),
            "arcface" => new ArcFaceHead(config.EmbeddingSize, classes, config.Scale, config.Margin),
            "combined" => new CombinedMarginHead(config.EmbeddingSize, classes, config.Scale, config.CombinedMargins[0], config.CombinedMargins[1], config.CombinedMargins[2]),
            "triplet" => null,
            _ => throw new ArgumentException($"loss '{config.Loss}' is not one of softmax, cosface, arcface, combined, triplet."),
        };
        var parameters = _backbone.parameters().Concat(_head?.parameters() ?? []).ToArray();
        _optimizer = config.Optimizer switch
        {
            "sgd" => (TorchSharp.Modules.OptimizerHelper)optim.SGD(parameters, config.LearningRate, config.Momentum, weight_decay: config.WeightDecay),
            "adamw" => optim.AdamW(parameters, config.LearningRate, weight_decay: config.WeightDecay),
            _ => throw new ArgumentException($"optimizer '{config.Optimizer}' is not one of sgd, adamw."),
        };
    }

    public nn.Module<Tensor, Tensor> Backbone => _backbone;
    public Head? Head => _head;
    public IReadOnlyList<EpochMetrics> History => _history;
    /// <summary>The crops trained on (held-out identities and subjects left out).</summary>
    public IReadOnlyList<FaceCrop> TrainingCrops => _data.Train;
    public int Epoch => _epoch;

    public static nn.Module<Tensor, Tensor> CreateBackbone(TrainingConfig config)
    {
        if (config.Pretrained.Length == 0)
            return CreateFromScratch(config);
        if (config.Backbone != "resnet18")
            throw new ArgumentException($"pretrained weights exist for backbone resnet18 only, not {config.Backbone}.");
        // The ImageNet model's layout (three blocks in its last stage); everything but the face neck starts from ImageNet.
        var model = new ResNet18(config.EmbeddingSize, config.Dropout, blocks: ResNet18.DnnImageFeaturizerBlocks);
        ImageNetWeights.LoadInto(model, config.Pretrained == "imagenet" ? null : config.Pretrained);
        return model;
    }

    private static nn.Module<Tensor, Tensor> CreateFromScratch(TrainingConfig config) => config.Backbone switch
    {
        "iresnet18" => IResNet.Create(18, config.EmbeddingSize, config.Dropout),
        "iresnet34" => IResNet.Create(34, config.EmbeddingSize, config.Dropout),
        "iresnet50" => IResNet.Create(50, config.EmbeddingSize, config.Dropout),
        "mobilefacenet" => new MobileFaceNet(config.EmbeddingSize),
        "resnet18" => new ResNet18(config.EmbeddingSize, config.Dropout),
        _ => throw new ArgumentException($"backbone '{config.Backbone}' is not one of iresnet18, iresnet34, iresnet50, mobilefacenet, resnet18."),
    };

    private int StepsPerEpoch => _config.Loss == "triplet"
        ? Math.Max(1, _data.Train.Count / (_config.P * _config.K))
        : _data.Train.Count / _config.BatchSize;

    /// <summary>The learning rate at a step: linear warm-up, then cosine to zero or step decay.</summary>
    public static double LearningRateAt(TrainingConfig config, int step, int stepsPerEpoch)
    {
        double warmup = config.WarmupEpochs * stepsPerEpoch, total = config.Epochs * stepsPerEpoch;
        if (step < warmup)
            return config.LearningRate * (step + 1) / warmup;
        if (config.Schedule == "step")
        {
            int epoch = step / stepsPerEpoch;
            return config.LearningRate * Math.Pow(config.StepGamma, config.StepEpochs.Count(e => epoch >= e));
        }
        double progress = (step - warmup) / Math.Max(1, total - warmup);
        return config.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1, progress)));
    }

    /// <summary>Runs the remaining epochs (all of them, or those after the checkpoint resumed from).</summary>
    public IReadOnlyList<EpochMetrics> Run()
    {
        Directory.CreateDirectory(_config.Output);
        File.WriteAllText(Path.Combine(_config.Output, "config.json"), _config.ToJson());
        _report($"training {_config.Backbone} + {_config.Loss} on {_data.Train.Count} crops of {_data.TrainIdentities.Count} identities " +
                $"({_data.HeldOutIdentities.Count} held out), {StepsPerEpoch} steps per epoch, {_config.Epochs} epochs");
        while (_epoch < _config.Epochs && (_config.MaxSteps == 0 || _step < _config.MaxSteps))
        {
            var metrics = RunEpoch(_epoch);
            _history.Add(metrics);
            _epoch++;
            SaveCheckpoint();
            WriteReport();
            _report($"epoch {metrics.Epoch + 1}/{_config.Epochs}: loss {metrics.Loss:F4}, train accuracy {(metrics.TrainAccuracy is { } t ? t.ToString("P1") : "n/a")}, " +
                    $"lr {metrics.LearningRate:G3}, {metrics.ImagesPerSecond:F1} images/s" +
                    (metrics.HeldOutAccuracy is { } a ? $", held-out {a:P2} ± {metrics.HeldOutAccuracyStd:P2}, TAR@1e-2 {metrics.TarAtFar1e2:P1}" : ""));
        }
        return _history;
    }

    private EpochMetrics RunEpoch(int epoch)
    {
        var random = Batches.EpochRandom(_config.Seed, epoch);
        manual_seed(Batches.SeedOf(_config.Seed, epoch, 0));
        _backbone.train();
        _head?.train();
        var batches = (_config.Loss == "triplet"
            ? Batches.PxK(_data.Train, _config.P, _config.K, random)
            : Batches.Shuffled(_data.Train, _config.BatchSize, random)).ToArray();
        var clock = Stopwatch.StartNew();
        double lossSum = 0, lr = 0;
        long correct = 0, seen = 0;
        int steps = 0, images = 0;
        for (int b = 0; b < batches.Length && (_config.MaxSteps == 0 || _step < _config.MaxSteps); b++)
        {
            using var scope = NewDisposeScope();
            var batch = batches[b];
            var input = Batches.ToTensor(batch.Select(c => Augmentation.Apply(_data.Pixels(c.Path), _config.Augmentation, random)).ToArray());
            var labels = tensor(batch.Select(c => (long)c.Label).ToArray());
            lr = LearningRateAt(_config, _step, StepsPerEpoch);
            foreach (var group in _optimizer.ParamGroups)
                group.LearningRate = lr;
            _optimizer.zero_grad();
            var embeddings = _backbone.forward(input);
            Tensor loss;
            if (_head is null)
            {
                loss = TripletLoss.BatchHard(embeddings, labels, _config.TripletMargin);
            }
            else
            {
                var logits = _head.forward(embeddings, labels);
                loss = nn.functional.cross_entropy(logits, labels);
                correct += logits.argmax(1).eq(labels).sum().item<long>();
                seen += batch.Length;
            }
            loss.backward();
            if (_config.ClipGradNorm > 0)
                nn.utils.clip_grad_norm_(_backbone.parameters().Concat(_head?.parameters() ?? []), _config.ClipGradNorm);
            _optimizer.step();
            lossSum += loss.item<float>();
            steps++;
            _step++;
            images += batch.Length;
            if (batches.Length >= 10 && (b + 1) % (batches.Length / 10) == 0)
                _report($"  epoch {epoch + 1} {100 * (b + 1) / batches.Length,3}%: loss {lossSum / steps:F4}, {images / clock.Elapsed.TotalSeconds:F1} images/s");
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var evaluation = _config.EvalPairs is { } pairs ? Evaluate(pairs) : default;
        return new EpochMetrics(epoch, steps, steps == 0 ? double.NaN : lossSum / steps, seen == 0 ? null : correct / (double)seen, lr,
            seconds, images / seconds, evaluation.Accuracy, evaluation.Std, evaluation.Tar, evaluation.Skipped);
    }

    /// <summary>Embeddings (unit length) of aligned crops with the current backbone, in evaluation mode.</summary>
    public float[][] Embed(IReadOnlyList<string> crops)
    {
        _backbone.eval();
        var result = Infer(crops, input => nn.functional.normalize(_backbone.forward(input), p: 2, dim: 1));
        _backbone.train();
        return result;
    }

    /// <summary>Each class's probability (the softmax of the head's logits) for crops, in evaluation mode; a softmax head only.</summary>
    public float[][] Classify(IReadOnlyList<string> crops)
    {
        if (_head is not SoftmaxHead head)
            throw new InvalidOperationException($"Classifying crops needs the softmax head; this run's loss is {_config.Loss}.");
        _backbone.eval();
        head.eval();
        var result = Infer(crops, input => nn.functional.softmax(head.Classifier.forward(_backbone.forward(input)), 1));
        _backbone.train();
        head.train();
        return result;
    }

    /// <summary>One output row per crop, in batches of 64, without gradients.</summary>
    private float[][] Infer(IReadOnlyList<string> crops, Func<Tensor, Tensor> forward)
    {
        var result = new float[crops.Count][];
        using var _ = no_grad();
        for (int start = 0; start < crops.Count; start += 64)
        {
            using var scope = NewDisposeScope();
            var slice = crops.Skip(start).Take(64).ToArray();
            var output = forward(Batches.ToTensor(slice.Select(_data.Pixels).ToArray()));
            var values = output.data<float>().ToArray();
            int width = (int)output.shape[1];
            for (int i = 0; i < slice.Length; i++)
                result[start + i] = values.AsSpan(i * width, width).ToArray();
        }
        return result;
    }

    /// <summary>LFW 10-fold accuracy and TAR at FAR 1e-2 on the held-out pairs (pairs whose crop is missing are skipped and
    /// counted).</summary>
    public (double? Accuracy, double? Std, double? Tar, int? Skipped) Evaluate(string pairsFile)
    {
        var pairs = LfwPairs.Read(pairsFile, _data.Root)
            .Select(p => p with { First = Path.ChangeExtension(p.First, ".png"), Second = Path.ChangeExtension(p.Second, ".png") }).ToArray();
        var usable = pairs.Where(p => File.Exists(p.First) && File.Exists(p.Second)).ToArray();
        var crops = usable.SelectMany(p => new[] { p.First, p.Second }).Distinct().ToArray();
        var index = crops.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        var embeddings = Embed(crops);
        var scores = usable.Select(p => (double)System.Numerics.Tensors.TensorPrimitives.Dot(embeddings[index[p.First]], embeddings[index[p.Second]])).ToArray();
        var (accuracies, _) = VerificationProtocol.TenFold(scores, usable.Select(p => p.Same).ToArray(), usable.Select(p => p.Fold).ToArray());
        var (mean, std) = VerificationProtocol.MeanStd(accuracies);
        var roc = new RocCurve(scores.Where((_, i) => usable[i].Same), scores.Where((_, i) => !usable[i].Same));
        return (mean, std, roc.TarAt(1e-2), pairs.Length - usable.Length);
    }

    private string CheckpointDirectory(int epochs) => Path.Combine(_config.Output, "checkpoints", $"epoch-{epochs:D3}");

    private sealed record CheckpointState(int Epoch, int Step, List<EpochMetrics> History);

    /// <summary>NaN and infinities (a TAR no threshold reaches on few pairs) are written as JSON strings.</summary>
    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private void SaveCheckpoint()
    {
        var directory = CheckpointDirectory(_epoch);
        Directory.CreateDirectory(directory);
        _backbone.save(Path.Combine(directory, "backbone.bin"));
        _head?.save(Path.Combine(directory, "head.bin"));
        _optimizer.save_state_dict(Path.Combine(directory, "optimizer.bin"));
        File.WriteAllText(Path.Combine(directory, "state.json"), JsonSerializer.Serialize(new CheckpointState(_epoch, _step, _history), Json));
    }

    /// <summary>Continues from the newest checkpoint in the output folder; false when there is none.</summary>
    public bool Resume()
    {
        var root = Path.Combine(_config.Output, "checkpoints");
        var newest = Directory.Exists(root) ? Directory.GetDirectories(root, "epoch-*").Order(StringComparer.Ordinal).LastOrDefault() : null;
        if (newest is null)
            return false;
        _backbone.load(Path.Combine(newest, "backbone.bin"));
        _head?.load(Path.Combine(newest, "head.bin"));
        _optimizer.load_state_dict(Path.Combine(newest, "optimizer.bin"));
        var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(newest, "state.json")), Json)!;
        (_epoch, _step) = (state.Epoch, state.Step);
        _history.Clear();
        _history.AddRange(state.History);
        _report($"resumed from {newest} (epoch {_epoch}, step {_step})");
        return true;
    }

    private void WriteReport()
    {
        File.WriteAllText(Path.Combine(_config.Output, "metrics.json"),
            JsonSerializer.Serialize(new RunMetrics(_config, _history), Json));
        var epochs = _history.Select(m => (double)m.Epoch + 1).ToArray();
        var accuracies = new List<(string, IReadOnlyList<double>)>();
        if (_head is not null)
            accuracies.Add(("train accuracy", _history.Select(m => m.TrainAccuracy ?? double.NaN).ToArray()));
        if (_history.All(m => m.HeldOutAccuracy is not null))
            accuracies.Add(("held-out 10-fold accuracy", _history.Select(m => m.HeldOutAccuracy!.Value).ToArray()));
        Plots.TrainingCurves(Path.Combine(_config.Output, "curves.png"), $"{_config.Backbone} + {_config.Loss}", epochs,
            _history.Select(m => m.Loss).ToArray(), accuracies);
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _head?.Dispose();
        _backbone.Dispose();
    }
}
