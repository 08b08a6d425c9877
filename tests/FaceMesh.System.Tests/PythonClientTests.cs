using System.Diagnostics;
using System.Text.RegularExpressions;

namespace FaceMesh.SystemTests;

/// <summary>
/// tools/examples/python/verify.py against the fleet over gRPC, as a Python user runs it: Debian's python3 with
/// python3-grpcio and python3-protobuf, the protos compiled by protoc on first use (tests/run installs them;
/// FACEMESH_REQUIRE_PYTHON_CLIENT=1 makes their absence a failure instead of a skip).
/// </summary>
public sealed partial class PythonClientTests(LoopbackFleet fleet) : IClassFixture<LoopbackFleet>
{
    private const string Python = "/usr/bin/python3";

    [SkippableFact]
    public async Task The_python_example_verifies_two_photos_of_one_person_and_refuses_two_people()
    {
        SkipUnlessInstalled();
        var address = new Uri(fleet.Gateway.GrpcAddress).Authority;
        var same = await Run(address, TestPaths.Example("obama.jpg"), TestPaths.Example("obama2.jpg"));
        Assert.True(same.ExitCode == 0, same.Output);
        var match = LastLine().Match(same.Output.TrimEnd().Split('\n')[^1]);
        Assert.True(match.Success, "last line: " + same.Output);
        Assert.Equal("match", match.Groups[2].Value);
        Assert.InRange(double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 0.4, 1.0);

        var different = await Run(address, TestPaths.Example("obama.jpg"), TestPaths.Example("biden.jpg"));
        Assert.True(different.ExitCode == 0, different.Output);
        var other = LastLine().Match(different.Output.TrimEnd().Split('\n')[^1]);
        Assert.True(other.Success, "last line: " + different.Output);
        Assert.Equal("no match", other.Groups[2].Value);
        Assert.True(double.Parse(other.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <
                    double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [SkippableFact]
    public async Task The_python_example_says_what_was_wrong_and_exits_2()
    {
        SkipUnlessInstalled();
        var address = new Uri(fleet.Gateway.GrpcAddress).Authority;
        var corrupt = Path.Combine(TestPaths.NewTempDirectory(), "corrupt.jpg");
        await File.WriteAllBytesAsync(corrupt, [0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3]);
        var refused = await Run(address, corrupt, TestPaths.Example("obama2.jpg"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("error: INVALID_ARGUMENT", refused.Output);

        var missing = await Run(address, "/nonexistent/photo.jpg", TestPaths.Example("obama2.jpg"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("/nonexistent/photo.jpg", missing.Output);
    }

    [GeneratedRegex(@"^score (-?\d+\.\d{4}) (match|no match)$")]
    private static partial Regex LastLine();

    private static void SkipUnlessInstalled()
    {
        bool installed = File.Exists(Python) && File.Exists("/usr/bin/protoc");
        if (installed)
        {
            var start = new ProcessStartInfo(Python, ["-c", "import grpc, google.protobuf"]) { RedirectStandardError = true };
            using var check = Process.Start(start)!;
            check.WaitForExit();
            installed = check.ExitCode == 0;
        }
        if (!installed && Environment.GetEnvironmentVariable("FACEMESH_REQUIRE_PYTHON_CLIENT") == "1")
            throw new InvalidOperationException(
                "The Python client needs Debian's python3-grpcio, python3-protobuf and protobuf-compiler (tests/run installs them).");
        Skip.IfNot(installed, "python3-grpcio, python3-protobuf or protobuf-compiler is not installed");
    }

    private static async Task<(int ExitCode, string Output)> Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(TestPaths.RepositoryRoot, "tools", "examples", "python", "verify.py"));
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
