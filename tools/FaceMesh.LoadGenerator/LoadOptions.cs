namespace FaceMesh.LoadGenerator;

/// <summary>What to send, how hard and how long (command line: <c>facemesh-load --help</c>).</summary>
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

    public static LoadOptions Parse(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var o = new LoadOptions();
        return o with
        {
            Server = Arg("--server") is { } s ? new Uri(s) : o.Server,
            Rpc = Arg("--rpc") ?? o.Rpc,
            Concurrency = Arg("--concurrency") is { } c ? int.Parse(c) : o.Concurrency,
            Rate = Arg("--rate") is { } r ? double.Parse(r, System.Globalization.CultureInfo.InvariantCulture) : o.Rate,
            Duration = Arg("--duration") is { } d ? TimeSpan.FromSeconds(double.Parse(d, System.Globalization.CultureInfo.InvariantCulture)) : o.Duration,
            Warmup = Arg("--warmup") is { } w ? TimeSpan.FromSeconds(double.Parse(w, System.Globalization.CultureInfo.InvariantCulture)) : o.Warmup,
            Photos = Arg("--photos") ?? o.Photos,
            Size = Arg("--size") is { } z ? int.Parse(z) : o.Size,
            Gallery = Arg("--gallery") ?? o.Gallery,
            Enroll = Arg("--enroll"),
            Json = Arg("--json"),
            InProcessPack = Arg("--in-process"),
        };
    }
}
