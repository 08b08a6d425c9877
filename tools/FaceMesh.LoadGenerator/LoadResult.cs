namespace FaceMesh.LoadGenerator;

public sealed record LoadResult(
    string Rpc, int Concurrency, double TargetRate, double Seconds, int Requests, int Succeeded,
    IReadOnlyDictionary<string, int> Errors, double Throughput, double P50Ms, double P95Ms, double P99Ms, double MaxMs);
