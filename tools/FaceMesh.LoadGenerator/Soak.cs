using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using FaceMesh.Contracts.V1;
using FaceMesh.Evaluation;
using FaceMesh.Client;
using Google.Protobuf.Collections;
using Grpc.Core;

namespace FaceMesh.LoadGenerator;

/// <summary>One 10-second window of a soak run.</summary>
/// <param name="GcCommittedMb">Memory the .NET GC had committed after its last collection, per service whose /metrics was given.</param>
public sealed record SoakSample(double Minute, int Requests, int Errors, double P50Ms, double P99Ms, IReadOnlyDictionary<string, double> RssMb,
    IReadOnlyDictionary<string, double> GcCommittedMb);

/// <param name="RssGrowthPercent">Resident memory, from the first minute after the warm-up to the last minute (medians).</param>
/// <param name="OutsideGcGrowthPercent">The same for resident memory minus the GC's committed memory: what a native leak would
/// move.</param>
public sealed record SoakResult(double Minutes, double Rate, int Requests, IReadOnlyDictionary<string, int> Errors, double WarmupMinutes,
    double P99FirstMs, double P99LastMs, double P99MaxMs, IReadOnlyDictionary<string, double> RssGrowthPercent,
    IReadOnlyDictionary<string, double> OutsideGcGrowthPercent, IReadOnlyList<SoakSample> Samples);

/// <summary>
/// <c>facemesh-load --soak</c>: mixed traffic at a fixed rate for a long time (60 % Verify, 25 % Identify, 10 % Enroll,
/// 5 % DeleteSubject), sampling latency, errors and every FaceMesh process's resident memory every 10 s. Writes
/// soak.csv, soak-latency.png, soak-memory.png (and soak-gc.png when <c>metrics</c> are given); the goal is no
/// errors, a steady p99 and RSS growth under 10 % after the warm-up. Enrollments and deletions cycle over <see cref="Subjects"/> subjects,
/// one photo each, so the
/// gallery stops growing after a few minutes: memory that still grows is the services', not the data's.
/// </summary>
/// <param name="metrics">Each service's Prometheus endpoint (e.g. Gateway → http://127.0.0.1:5001/metrics): its GC's committed
/// memory is sampled with the resident memory, which tells the GC's budget between full collections from native growth.</param>
public sealed class Soak(FaceMeshApi.FaceMeshApiClient client, IReadOnlyList<Image> photos, double rate, TimeSpan duration, TimeSpan warmup,
    string gallery, IReadOnlyDictionary<string, Uri> metrics, Action<string> report)
{
    private static readonly HttpClient Scraper = new() { Timeout = TimeSpan.FromSeconds(2) };
    private const int MaxInFlight = 256;
    /// <summary>The gallery's subjects: an enrollment of one already present replaces its face (same photo, same face id).</summary>
    public const int Subjects = 200;
    /// <summary>Samples (10 s each) whose median is the start and the end of the RSS growth: one sample is too noisy.</summary>
    private const int GrowthWindow = 6;
    private readonly ConcurrentQueue<double> _latencies = new();
    private readonly ConcurrentDictionary<string, int> _errors = new();
    private readonly ConcurrentQueue<int> _enrolled = new();
    private readonly SemaphoreSlim[] _subjectLocks = Enumerable.Range(0, Subjects).Select(_ => new SemaphoreSlim(1)).ToArray();
    private readonly bool[] _present = new bool[Subjects]; // guarded by the subject's lock
    private int _windowErrors, _inFlight, _counter;
    private readonly List<(Image Photo, int Face)> _enrollable = [];

    public async Task<SoakResult> RunAsync(string outputDirectory)
    {
        Directory.CreateDirectory(outputDirectory);
        // Photos whose largest face is good enough to enroll (the others would be refused, by design, not by a fault).
        foreach (var photo in photos)
        {
            RepeatedField<Face> faces;
            while (true)
            {
                try
                {
                    faces = (await client.DetectAsync(new DetectRequest { Image = photo })).Faces;
                    break;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
                {
                    await Task.Delay(int.TryParse(e.Trailers.GetValue("retry-after-ms"), out int ms) ? ms : 1000); // the key's rate limit
                }
            }
            if (faces.Count > 0 && faces[faces.LargestFace()].Quality.Overall >= 0.3)
                _enrollable.Add((photo, faces.LargestFace()));
        }
        if (_enrollable.Count == 0)
            throw new ArgumentException("None of the photos has a face good enough to enroll; use --photos with frontal, sharp faces.");
        // A gallery to identify against from the start.
        for (int i = 0; i < 20; i++)
            await Enroll();
        var samples = new List<SoakSample>();
        var clock = Stopwatch.StartNew();
        var window = Stopwatch.StartNew();
        var running = new List<Task>();
        long started = 0;
        int requests = 0;
        while (clock.Elapsed < duration)
        {
            // Open loop: requests start on schedule whatever the answers do (bounded, so an outage cannot exhaust the client).
            long due = (long)(clock.Elapsed.TotalSeconds * rate);
            for (; started < due; started++)
            {
                if (Volatile.Read(ref _inFlight) >= MaxInFlight)
                {
                    _errors.AddOrUpdate("client-overload", 1, (_, n) => n + 1);
                    continue;
                }
                running.Add(One());
                requests++;
            }
            running.RemoveAll(t => t.IsCompleted);
            if (window.Elapsed >= TimeSpan.FromSeconds(10))
            {
                samples.Add(await Sample(clock.Elapsed.TotalMinutes));
                window.Restart();
                var s = samples[^1];
                report($"{s.Minute,5:F1} min: {s.Requests} requests, {s.Errors} errors, p50 {s.P50Ms:F1} ms, p99 {s.P99Ms:F1} ms, " +
                       string.Join(", ", s.RssMb.Select(kv => $"{kv.Key} {kv.Value:F0} MB" +
                           (s.GcCommittedMb.TryGetValue(kv.Key, out double gc) ? $" (GC {gc:F0})" : ""))));
            }
            await Task.Delay(5);
        }
        await Task.WhenAll(running);
        samples.Add(await Sample(clock.Elapsed.TotalMinutes));
        var result = Summarise(samples, requests);
        Write(outputDirectory, result);
        return result;
    }

    private async Task One()
    {
        Interlocked.Increment(ref _inFlight);
        int i = Interlocked.Increment(ref _counter);
        var timer = Stopwatch.StartNew();
        try
        {
            int kind = i % 20; // 12 Verify, 5 Identify, 2 Enroll, 1 Delete in every 20
            var deadline = DateTime.UtcNow.AddSeconds(30);
            if (kind < 12)
                await client.VerifyAsync(new VerifyRequest { Probe = photos[i % photos.Count], ReferenceImage = photos[(i + 7) % photos.Count] }, deadline: deadline);
            else if (kind < 17)
                await client.IdentifyAsync(new IdentifyRequest { Gallery = gallery, Image = photos[i % photos.Count] }, deadline: deadline);
            else if (kind < 19)
                await Enroll();
            else if (_enrolled.Count > 20 && _enrolled.TryDequeue(out int subject))
                await Delete(subject, deadline);
            _latencies.Enqueue(timer.Elapsed.TotalMilliseconds);
        }
        catch (RpcException e)
        {
            Interlocked.Increment(ref _windowErrors);
            _errors.AddOrUpdate(e.StatusCode.ToString(), 1, (_, n) => n + 1);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    // One subject's enrollment and deletion never overlap (each waits for the subject's lock), so a deletion always
    // finds its subject and an enrollment's outcome is known before the subject can be deleted.
    private async Task Enroll()
    {
        int subject = Interlocked.Increment(ref _counter) % Subjects;
        var (photo, face) = _enrollable[subject % _enrollable.Count];
        var request = new EnrollRequest { Gallery = gallery, SubjectId = $"soak-{subject}", Photos = { new EnrollPhoto { Image = photo, FaceIndex = face } } };
        await _subjectLocks[subject].WaitAsync();
        try
        {
            await client.EnrollAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
            if (!_present[subject])
            {
                _present[subject] = true;
                _enrolled.Enqueue(subject);
            }
        }
        finally
        {
            _subjectLocks[subject].Release();
        }
    }

    private async Task Delete(int subject, DateTime deadline)
    {
        await _subjectLocks[subject].WaitAsync();
        try
        {
            await client.DeleteSubjectAsync(new DeleteSubjectRequest { Gallery = gallery, SubjectId = $"soak-{subject}" }, deadline: deadline);
            _present[subject] = false;
        }
        finally
        {
            _subjectLocks[subject].Release();
        }
    }

    private async Task<SoakSample> Sample(double minute)
    {
        var window = new List<double>();
        while (_latencies.TryDequeue(out var ms))
            window.Add(ms);
        window.Sort();
        double Percentile(double p) => window.Count == 0 ? double.NaN : window[Math.Min(window.Count - 1, (int)Math.Ceiling(p * window.Count) - 1)];
        return new SoakSample(minute, window.Count, Interlocked.Exchange(ref _windowErrors, 0), Percentile(0.50), Percentile(0.99), ResidentMemory(),
            await GcCommitted());
    }

    /// <summary>Each service's <c>dotnet_gc_last_collection_memory_committed_size_bytes</c> in MB (a service that does not answer is left
    /// out).</summary>
    private async Task<IReadOnlyDictionary<string, double>> GcCommitted()
    {
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (service, address) in metrics)
        {
            try
            {
                var line = (await Scraper.GetStringAsync(address)).Split('\n')
                    .FirstOrDefault(l => l.StartsWith("dotnet_gc_last_collection_memory_committed_size_bytes", StringComparison.Ordinal));
                if (line is not null)
                    result[service] = double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture) / (1024 * 1024);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or FormatException)
            {
                // the service is restarting or slow: this sample has no GC figure for it
            }
        }
        return result;
    }

    /// <summary>Resident memory (VmRSS) of every FaceMesh process on this machine, by process name, in MB.</summary>
    public static IReadOnlyDictionary<string, double> ResidentMemory()
    {
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (!int.TryParse(Path.GetFileName(directory), out int processId) || processId <= 0)
                    continue;
                // The service's name from its command line (comm is cut at 15 characters): .../FaceMesh.Matcher or FaceMesh.Matcher.dll.
                var program = File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0')
                    .Select(a => Path.GetFileName(a).Replace(".dll", "", StringComparison.Ordinal))
                    .FirstOrDefault(a => a is "FaceMesh.Detector" or "FaceMesh.Embedder" or "FaceMesh.Matcher" or "FaceMesh.Gateway" or "FaceMesh.AllInOne");
                if (program is null)
                    continue;
                var line = File.ReadLines(Path.Combine(directory, "status")).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (line is not null)
                    result[program["FaceMesh.".Length..]] = result.GetValueOrDefault(program["FaceMesh.".Length..]) +
                        double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process ended while it was read, or is another user's
            }
        }
        return result;
    }

    private SoakResult Summarise(List<SoakSample> samples, int requests)
    {
        var steady = samples.Where(s => s.Minute > warmup.TotalMinutes && s.Requests > 0).ToList();
        if (steady.Count < 2)
            steady = samples.Where(s => s.Requests > 0).ToList();
        // Growth from the median of the first minute after the warm-up to the median of the last minute.
        int window = Math.Max(1, Math.Min(GrowthWindow, steady.Count / 2));
        Dictionary<string, double> Growth(Func<SoakSample, string, double?> value)
        {
            if (steady.Count < 2)
                return [];
            var names = steady[0].RssMb.Keys.Where(k => steady.All(s => value(s, k) is not null));
            double Median(IEnumerable<SoakSample> part, string name) => part.Select(s => value(s, name)!.Value).Order().ElementAt(window / 2);
            return names.ToDictionary(k => k, k =>
            {
                double first = Median(steady.Take(window), k);
                return 100 * (Median(steady.TakeLast(window), k) - first) / first;
            });
        }
        var growth = Growth((s, k) => s.RssMb.TryGetValue(k, out double v) ? v : null);
        var outsideGc = Growth((s, k) => s.RssMb.TryGetValue(k, out double v) && s.GcCommittedMb.TryGetValue(k, out double gc) ? v - gc : null);
        return new SoakResult(samples[^1].Minute, rate, requests, new Dictionary<string, int>(_errors), warmup.TotalMinutes,
            steady.Count > 0 ? steady[0].P99Ms : double.NaN, steady.Count > 0 ? steady[^1].P99Ms : double.NaN,
            steady.Count > 0 ? steady.Max(s => s.P99Ms) : double.NaN, growth, outsideGc, samples);
    }

    private static void Write(string directory, SoakResult result)
    {
        var names = result.Samples.SelectMany(s => s.RssMb.Keys).Distinct().Order(StringComparer.Ordinal).ToArray();
        File.WriteAllLines(Path.Combine(directory, "soak.csv"),
        [
            "minute,requests,errors,p50_ms,p99_ms," + string.Join(",", names.Select(n => $"rss_{n.ToLowerInvariant()}_mb")) + "," +
                string.Join(",", names.Select(n => $"gc_committed_{n.ToLowerInvariant()}_mb")),
            .. result.Samples.Select(s => string.Join(",", new[] { s.Minute.ToString("F2", CultureInfo.InvariantCulture), $"{s.Requests}", $"{s.Errors}",
                s.P50Ms.ToString("F1", CultureInfo.InvariantCulture), s.P99Ms.ToString("F1", CultureInfo.InvariantCulture) }
                .Concat(names.Select(n => s.RssMb.GetValueOrDefault(n).ToString("F1", CultureInfo.InvariantCulture)))
                .Concat(names.Select(n => s.GcCommittedMb.TryGetValue(n, out double gc) ? gc.ToString("F1", CultureInfo.InvariantCulture) : "")))),
        ]);
        var minutes = result.Samples.Select(s => s.Minute).ToArray();
        Plots.Lines(Path.Combine(directory, "soak-latency.png"), $"Soak: latency per 10 s at {result.Rate:0.#} requests/s (mixed traffic)", "minute", "ms",
            [("p50", minutes, result.Samples.Select(s => s.P50Ms).ToArray()), ("p99", minutes, result.Samples.Select(s => s.P99Ms).ToArray())]);
        Plots.Lines(Path.Combine(directory, "soak-memory.png"), "Soak: resident memory per process", "minute", "MB",
            names.Select(n => (n, minutes, result.Samples.Select(s => s.RssMb.GetValueOrDefault(n)).ToArray())));
        var withGc = names.Where(n => result.Samples.Any(s => s.GcCommittedMb.ContainsKey(n))).ToArray();
        if (withGc.Length > 0)
        {
            Plots.Lines(Path.Combine(directory, "soak-gc.png"), "Soak: per process, GC committed memory and resident memory outside it", "minute", "MB",
                withGc.SelectMany(n => new[]
                {
                    ($"{n} GC", minutes, result.Samples.Select(s => s.GcCommittedMb.GetValueOrDefault(n, double.NaN)).ToArray()),
                    ($"{n} outside GC", minutes, result.Samples.Select(s => s.GcCommittedMb.TryGetValue(n, out double gc) ? s.RssMb.GetValueOrDefault(n) - gc : double.NaN).ToArray()),
                }));
        }
    }
}
