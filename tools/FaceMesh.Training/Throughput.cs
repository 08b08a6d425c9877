using System.Diagnostics;
using FaceMesh.Training.Heads;
using TorchSharp;
using static TorchSharp.torch;

namespace FaceMesh.Training;

/// <summary>
/// Training throughput of each backbone: images per second of full steps (forward, ArcFace loss, backward,
/// SGD step) at a batch size, on random 112×112 inputs, after warm-up steps; median of the timed steps.
/// </summary>
public static class Throughput
{
    public sealed record Row(string Backbone, int Batch, double MedianStepSeconds, double ImagesPerSecond, long Parameters);

    public static IReadOnlyList<Row> Measure(IEnumerable<string> backbones, int batch, int warmup, int steps, Action<string> report)
    {
        var rows = new List<Row>();
        foreach (var name in backbones)
        {
            manual_seed(1);
            var model = Trainer.CreateBackbone(new TrainingConfig { Backbone = name });
            var head = new ArcFaceHead(512, 1000, 64, 0.5);
            var optimizer = optim.SGD(model.parameters().Concat(head.parameters()), 0.01, 0.9);
            var input = randn(batch, 3, 112, 112);
            var labels = randint(0, 1000, [batch]);
            model.train();
            var times = new List<double>();
            for (int i = 0; i < warmup + steps; i++)
            {
                using var scope = NewDisposeScope();
                var clock = Stopwatch.StartNew();
                optimizer.zero_grad();
                head.Loss(model.forward(input), labels).backward();
                optimizer.step();
                if (i >= warmup)
                    times.Add(clock.Elapsed.TotalSeconds);
            }
            times.Sort();
            double median = times[times.Count / 2];
            rows.Add(new Row(name, batch, median, batch / median, model.parameters().Sum(p => p.numel())));
            report($"{name}: {batch / median:F1} images/s (median step {median * 1000:F0} ms at batch {batch})");
            optimizer.Dispose();
            head.Dispose();
            model.Dispose();
        }
        return rows;
    }
}
