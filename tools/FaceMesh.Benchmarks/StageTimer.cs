using System.Diagnostics;

namespace FaceMesh.Benchmarks;

/// <summary>Runs an action repeatedly after warm-up and reports the median and 90th percentile in milliseconds.</summary>
public static class StageTimer
{
    public sealed record Timing(string Stage, string Input, double MedianMs, double P90Ms, int Runs, double? PerSecond = null);

    public static Timing Measure(string stage, string input, Action action, int runs, int warmup = 5, int itemsPerRun = 0)
    {
        for (int i = 0; i < warmup; i++)
            action();
        var samples = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(samples);
        double median = samples[runs / 2];
        return new Timing(stage, input, median, samples[(int)(runs * 0.9)], runs, itemsPerRun > 0 ? itemsPerRun * 1000 / median : null);
    }
}
