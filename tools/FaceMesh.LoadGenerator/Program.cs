using System.Text.Json;
using FaceMesh.Client;
using FaceMesh.Contracts.V1;
using FaceMesh.Imaging;
using FaceMesh.LoadGenerator;
using Google.Protobuf;
using SkiaSharp;
using Spectre.Console;

// facemesh-load --server URL --rpc verify|identify --concurrency N [--rate R] --duration S --photos DIR
//               [--size 250] [--gallery G --enroll DIR] [--json OUT] [--in-process PACK_DIR]
// facemesh-load --events --matcher URL [--broker HOST] [--vhost /] --rate R --duration S [--json OUT]
// facemesh-load --soak --server URL --photos DIR --rate R --minutes M [--warmup-minutes 2] [--out DIR]
if (args.Contains("--help"))
{
    Console.WriteLine("facemesh-load --server URL --rpc verify|identify --concurrency N [--rate PER_SECOND] --duration SECONDS " +
                      "--photos DIR [--size 250] [--gallery G] [--enroll DIR_PER_PERSON] [--warmup SECONDS] [--json OUT] [--in-process PACK_DIR (verify without the fleet)]");
    return 0;
}
if (args.Contains("--events"))
{
    // facemesh-load --events --matcher URL [--broker HOST] [--vhost /] --rate R --duration S [--json OUT]
    string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    double rate = double.Parse(Arg("--rate") ?? "200", System.Globalization.CultureInfo.InvariantCulture);
    var events = await EventLoad.Run(new Uri(Arg("--matcher") ?? "http://127.0.0.1:5030"), Arg("--broker") ?? "127.0.0.1", Arg("--vhost") ?? "/",
        rate, TimeSpan.FromSeconds(double.Parse(Arg("--duration") ?? "20", System.Globalization.CultureInfo.InvariantCulture)), Console.WriteLine);
    var eventsTable = new Table().AddColumns("target/s", "published", "searchable", "failed", "achieved/s", "confirm p50 ms", "lag p50 ms", "lag p95 ms", "lag p99 ms")
        .Title("Enrollment events: RabbitMQ → Matcher, publish to searchable");
    eventsTable.AddRow($"{events.TargetRate:F0}", $"{events.Published}", $"{events.Searchable}", $"{events.Failed}", $"{events.EventsPerSecond:F0}",
        $"{events.ConfirmP50Ms:F1}", $"{events.LagP50Ms:F1}", $"{events.LagP95Ms:F1}", $"{events.LagP99Ms:F1}");
    AnsiConsole.Write(eventsTable);
    if (Arg("--json") is { } eventsJson)
        File.WriteAllText(eventsJson, JsonSerializer.Serialize(events, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    return 0;
}
if (args.Contains("--soak"))
{
    // facemesh-load --soak --server URL --photos DIR --rate R --minutes M [--warmup-minutes 2] [--out DIR] [--api-key KEY]
    //               [--metrics Gateway=http://127.0.0.1:5001/metrics,Matcher=...]
    string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    double Number(string name, double fallback) => Arg(name) is { } v ? double.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;
    var soakPhotos = Directory.EnumerateFiles(Arg("--photos") ?? throw new ArgumentException("--photos DIR is required."), "*.jpg", SearchOption.AllDirectories)
        .Order(StringComparer.Ordinal).Take(200).Select(p => Prepare(p, 250)).ToArray();
    var (soakClient, soakChannel) = FaceMeshClientFactory.Create(new FaceMeshClientOptions
    {
        Address = new Uri(Arg("--server") ?? "http://127.0.0.1:5000"), ApiKey = Arg("--api-key") ?? Environment.GetEnvironmentVariable("FACEMESH_API_KEY"),
    });
    using var __ = soakChannel;
    string output = Arg("--out") ?? "artifacts/soak";
    var soak = await new Soak(soakClient, soakPhotos, Number("--rate", 10), TimeSpan.FromMinutes(Number("--minutes", 30)),
        TimeSpan.FromMinutes(Number("--warmup-minutes", 2)), "soak", MetricsEndpoints(Arg("--metrics")), Console.WriteLine).RunAsync(output);
    var soakTable = new Table().AddColumns("minutes", "rate/s", "requests", "errors", "p99 first ms", "p99 last ms", "p99 max ms", "RSS growth after warm-up",
            "growth outside the GC heap")
        .Title("FaceMesh soak (mixed traffic: 60 % Verify, 25 % Identify, 10 % Enroll, 5 % DeleteSubject)");
    soakTable.AddRow($"{soak.Minutes:F1}", $"{soak.Rate:0.#}", $"{soak.Requests}",
        soak.Errors.Count == 0 ? "0" : Markup.Escape(string.Join(", ", soak.Errors.Select(e => $"{e.Key} {e.Value}"))),
        $"{soak.P99FirstMs:F1}", $"{soak.P99LastMs:F1}", $"{soak.P99MaxMs:F1}",
        Markup.Escape(string.Join(", ", soak.RssGrowthPercent.Select(kv => $"{kv.Key} {kv.Value:+0.0;-0.0} %"))),
        Markup.Escape(string.Join(", ", soak.OutsideGcGrowthPercent.Select(kv => $"{kv.Key} {kv.Value:+0.0;-0.0} %"))));
    AnsiConsole.Write(soakTable);
    File.WriteAllText(Path.Combine(output, "soak.json"), JsonSerializer.Serialize(soak, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    Console.WriteLine($"written: {output}/soak.csv, soak.json, soak-latency.png, soak-memory.png{(soak.OutsideGcGrowthPercent.Count > 0 ? ", soak-gc.png" : "")}");
    return 0;
}
var options = LoadOptions.Parse(args);
var photos = Directory.EnumerateFiles(options.Photos, "*.*", SearchOption.AllDirectories)
    .Where(p => p.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
    .Order(StringComparer.Ordinal).Take(200).Select(p => Prepare(p, options.Size)).ToArray();
if (photos.Length < 2)
    throw new ArgumentException($"--photos {options.Photos}: need at least two JPEG or PNG photos.");

var (client, channel) = FaceMeshClientFactory.Create(new FaceMeshClientOptions { Address = options.Server, DefaultDeadline = TimeSpan.FromSeconds(60) });
using var _ = channel;
if (options.Enroll is not null && options.InProcessPack is null)
    foreach (var dir in Directory.GetDirectories(options.Enroll))
        foreach (var file in Directory.GetFiles(dir))
        {
            var photo = new EnrollPhoto { Image = new Image { Content = ByteString.CopyFrom(File.ReadAllBytes(file)) } };
            var faces = client.Detect(new DetectRequest { Image = photo.Image }).Faces;
            if (faces.Count == 0)
                continue;
            photo.FaceIndex = faces.LargestFace();
            client.Enroll(new EnrollRequest { Gallery = options.Gallery, SubjectId = Path.GetFileName(dir), Photos = { photo } });
        }

int counter = 0;
using var local = options.InProcessPack is { } packDir ? FaceMesh.Pipeline.FacePipeline.Open(packDir) : null;
Func<CancellationToken, Task> call = (options.Rpc, local) switch
{
    ("verify", not null) => VerifyInProcess,
    (_, not null) => throw new ArgumentException("--in-process runs verify only."),
    ("verify", _) => Verify,
    ("identify", _) => Identify,
    _ => throw new ArgumentException($"--rpc {options.Rpc}: use verify or identify."),
};

// The fleet's Verify, done here: decode and detect both photos, embed both crops in one batch, compare.
Task VerifyInProcess(CancellationToken token)
{
    int i = Interlocked.Increment(ref counter);
    var a = local!.FindPrimary(ImageDecoder.Decode(photos[i % photos.Length].Content.ToByteArray()));
    var b = local.FindPrimary(ImageDecoder.Decode(photos[(i + 1) % photos.Length].Content.ToByteArray()));
    if (a is not null && b is not null)
    {
        var e = local.Embed([a, b]);
        FaceMesh.Pipeline.Embedding.CosineSimilarity.Of(e[0], e[1]);
    }
    return Task.CompletedTask;
}

async Task Verify(CancellationToken token)
{
    int i = Interlocked.Increment(ref counter);
    await client.VerifyAsync(new VerifyRequest { Probe = photos[i % photos.Length], ReferenceImage = photos[(i + 1) % photos.Length] }, cancellationToken: token);
}

async Task Identify(CancellationToken token)
{
    int i = Interlocked.Increment(ref counter);
    await client.IdentifyAsync(new IdentifyRequest { Gallery = options.Gallery, Image = photos[i % photos.Length] }, cancellationToken: token);
}

var result = await new LoadRun(call, options).RunAsync();
var table = new Table().AddColumns("rpc", "concurrency", "rate", "requests", "ok", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms")
    .Title($"FaceMesh load, {result.Seconds:F0} s against {options.Server}");
table.AddRow(result.Rpc, $"{result.Concurrency}", result.TargetRate > 0 ? $"{result.TargetRate:F0}/s" : "closed loop", $"{result.Requests}", $"{result.Succeeded}",
             result.Errors.Count == 0 ? "0" : Markup.Escape(string.Join(", ", result.Errors.Select(e => $"{e.Key} {e.Value}"))),
             $"{result.Throughput:F1}", $"{result.P50Ms:F1}", $"{result.P95Ms:F1}", $"{result.P99Ms:F1}");
AnsiConsole.Write(table);
if (options.Json is not null)
    File.WriteAllText(options.Json, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }) + "\n");
return 0;

static Image Prepare(string path, int size)
{
    var bytes = File.ReadAllBytes(path);
    if (size > 0)
    {
        var image = ImageDecoder.Decode(bytes);
        int side = Math.Min(image.Width, image.Height);
        var square = Resampler.Crop(image, (image.Width - side) / 2, (image.Height - side) / 2, side, side);
        bytes = ImageEncoder.Encode(Resampler.Resize(square, size, size), SKEncodedImageFormat.Jpeg, 90);
    }
    return new Image { Content = ByteString.CopyFrom(bytes) };
}

// --metrics Gateway=http://127.0.0.1:5001/metrics,Matcher=http://127.0.0.1:5031/metrics
static IReadOnlyDictionary<string, Uri> MetricsEndpoints(string? list) =>
    (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(entry => entry.Split('=', 2) is [var name, var url]
        ? (name, new Uri(url))
        : throw new ArgumentException($"--metrics takes Service=URL pairs separated by commas; '{entry}' is not one."))
    .ToDictionary(p => p.name, p => p.Item2);
