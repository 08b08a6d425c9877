namespace FaceMesh.LoadGenerator;

/// <summary>What to send, how hard and how long (from the command line: <see cref="LoadCommand"/>).</summary>
public sealed record LoadOptions
{
    public Uri Server { get; init; } = new("http://127.0.0.1:5000");
    public string Rpc { get; init; } = "identify";
    public int Concurrency { get; init; } = 8;
    /// <summary>Requests per second in total; 0 means as fast as the concurrency allows.</summary>
    public double Rate { get; init; }
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);
    public string Photos { get; init; } = "";
    /// <summary>Photos are centre-cropped and resized to this square side before sending (0 = as they are).</summary>
    public int Size { get; init; } = 250;
    public string Gallery { get; init; } = "load";
    /// <summary>A folder per person to enroll into the gallery before an Identify run.</summary>
    public string? Enroll { get; init; }
    public string? Json { get; init; }
    /// <summary>Run the same Verify inside this process with this model pack instead of calling the fleet (the overhead
    /// baseline).</summary>
    public string? InProcessPack { get; init; }
}
