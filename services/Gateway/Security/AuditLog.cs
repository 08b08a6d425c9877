using System.Text.Json;
using FaceMesh.Hosting;
using Microsoft.Extensions.Options;

namespace FaceMesh.Gateway.Security;

/// <summary>One audited call. Biometric data has no field here: no photo, embedding or score can be written.</summary>
public sealed record AuditRecord(DateTimeOffset Time, string Rpc, string Tenant, string KeyId, string Gallery, string Subject, string Status,
    string Outcome, string TraceId);

/// <summary>
/// The audit trail of the public API: every call, one line, in the log (category <c>FaceMesh.Audit</c>) and, when
/// <see cref="AuthOptions.AuditFile"/> is set, appended to that file as JSON lines (flushed per line).
/// </summary>
public sealed class AuditLog : IDisposable
{
    private readonly ILogger _log;
    private readonly StreamWriter? _file;
    private readonly Lock _write = new();
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public AuditLog(IOptions<AuthOptions> options, ILoggerFactory logs)
    {
        _log = logs.CreateLogger("FaceMesh.Audit");
        if (options.Value.AuditFile is { Length: > 0 } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        }
    }

    public void Write(AuditRecord record)
    {
        // Gallery and subject come from the caller (also from refused calls): escaped and cut to length, in the log and the file.
        var r = record with
        {
            Tenant = LogText.Safe(record.Tenant),
            KeyId = LogText.Safe(record.KeyId),
            Gallery = LogText.Safe(record.Gallery),
            Subject = LogText.Safe(record.Subject),
            Outcome = LogText.Safe(record.Outcome),
        };
        _log.LogInformation("audit rpc={Rpc} tenant={Tenant} key={KeyId} gallery={Gallery} subject={Subject} status={Status} {Outcome} trace={TraceId}",
            r.Rpc, r.Tenant, r.KeyId, r.Gallery, r.Subject, r.Status, r.Outcome, r.TraceId);
        if (_file is null)
            return;
        var line = JsonSerializer.Serialize(r, Json);
        lock (_write)
            _file.WriteLine(line);
    }

    public void Dispose() => _file?.Dispose();
}
