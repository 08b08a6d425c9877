using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FaceMesh.Hosting;

/// <summary>
/// What an operator needs beside the runtime's own process metrics, taken from the process itself so that they work
/// without kube-state-metrics or cAdvisor: the memory limit the runtime sees (the container's cgroup limit, or the
/// machine's memory), against which the working set is drawn and alerted on, and the start time, whose changes count
/// restarts.
/// </summary>
public static class ProcessMetrics
{
    private static readonly Meter Meter = new(ServiceDefaults.MeterPrefix + "Process");
    private static readonly double StartedAt = Process.GetCurrentProcess().StartTime.ToUniversalTime().Subtract(DateTime.UnixEpoch).TotalSeconds;

    static ProcessMetrics()
    {
        Meter.CreateObservableGauge("facemesh.process.memory.limit", () => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, "By",
            "Memory the process may use: the container's limit, else the machine's memory.");
        Meter.CreateObservableGauge("facemesh.process.start_time", () => StartedAt, "s", "When the process started (Unix time).");
    }

    /// <summary>Creates the instruments (once per process).</summary>
    public static void Register() => _ = StartedAt;
}
