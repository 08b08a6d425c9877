using System.Diagnostics;

namespace FaceMesh.Testing;

/// <summary>Programs the tests run: to completion (output captured), or in the background (output drained).</summary>
public static class TestProcess
{
    private static ProcessStartInfo Info(string program, IEnumerable<string> arguments, string? workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        if (workingDirectory is not null)
            start.WorkingDirectory = workingDirectory;
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return start;
    }

    /// <summary>Runs the program and waits; returns its exit code and what it wrote to each stream.</summary>
    public static (int Code, string Stdout, string Stderr) Run(string program, params string[] arguments)
    {
        using var process = Process.Start(Info(program, arguments, null))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the program in the background; its output is drained, so a talkative process never blocks on a full pipe.</summary>
    public static Process Start(string program, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var process = Process.Start(Info(program, arguments, workingDirectory, environment))!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Starts the program in the background and collects every line it writes (stdout and stderr) into <paramref
    /// name="output"/>.</summary>
    public static Process StartCapturing(string program, IEnumerable<string> arguments, System.Collections.Concurrent.ConcurrentQueue<string> output, string? workingDirectory = null)
    {
        var process = Process.Start(Info(program, arguments, workingDirectory))!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// Where the services' apphosts are: next to the test binaries (copied by the project references), or the folder in
    /// FACEMESH_SERVICE_DIRECTORY (to measure another build, e.g. an earlier commit's, with the same test).
    /// </summary>
    public static string ServiceDirectory { get; } = Environment.GetEnvironmentVariable("FACEMESH_SERVICE_DIRECTORY") is { Length: > 0 } d ? d : AppContext.BaseDirectory;

    /// <summary>A FaceMesh service's apphost (see <see cref="ServiceDirectory"/>).</summary>
    /// <param name="output">Collects every line the service writes; null drains and drops them.</param>
    public static Process StartService(string service, IEnumerable<string> settings, System.Collections.Concurrent.ConcurrentQueue<string>? output = null,
                                       IReadOnlyDictionary<string, string>? environment = null) =>
        output is null
            ? Start(Path.Combine(ServiceDirectory, $"FaceMesh.{service}"), settings, ServiceDirectory, environment)
            : StartCapturing(Path.Combine(ServiceDirectory, $"FaceMesh.{service}"), settings, output, ServiceDirectory);

    /// <summary>
    /// Waits until a service process answers /readyz on its HTTP port: up to 90 s, since a service loads and warms its
    /// models while every test tier shares the 2 cores (a start takes 3 to 10 s alone). Not a measure of start-up time.
    /// </summary>
    public static async Task WaitReady(int http, string host = "127.0.0.1")
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        for (int i = 0; i < 900; i++)
        {
            try
            {
                if ((await client.GetAsync($"http://{host}:{http}/readyz")).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The service with HTTP port {http} did not report ready within 90 s.");
    }
}
