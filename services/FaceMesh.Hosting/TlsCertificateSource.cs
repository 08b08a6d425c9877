using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FaceMesh.Hosting;

/// <summary>
/// The gRPC port's certificate, read again when its files change, so a renewed certificate (cert-manager rewrites the
/// mounted Secret before the old one expires) is served to new connections without a restart. The files are polled
/// rather than watched: a Secret volume is updated by swapping a symlink, which file watchers miss. A renewal that
/// does not load (half written, key and certificate not matching) keeps the current certificate and is logged; the
/// next poll tries again. <c>facemesh_tls_certificate_expiry_timestamp_seconds</c> tells the alert how long is left.
/// </summary>
public sealed class TlsCertificateSource : IDisposable
{
    private readonly Meter _meter = new(FaceMeshService.MeterPrefix + "Tls");
    private readonly string _certificateFile;
    private readonly string _keyFile;
    private readonly Timer _timer;
    private byte[] _loadedFrom;
    private X509Certificate2 _current;

    /// <summary>Called with a line to log when a renewal loads or fails to.</summary>
    public Action<string>? Log { get; set; }

    private TlsCertificateSource(string certificateFile, string keyFile, TimeSpan pollEvery)
    {
        _certificateFile = certificateFile;
        _keyFile = keyFile;
        (_current, _loadedFrom) = Load();
        _meter.CreateObservableGauge("facemesh.tls.certificate.expiry_timestamp", () => _current.NotAfter.ToUniversalTime().Subtract(DateTime.UnixEpoch).TotalSeconds,
            "s", "When the certificate served on the gRPC port expires (Unix time).");
        _timer = new Timer(_ => Poll(), null, pollEvery, pollEvery);
    }

    /// <summary>The source for <c>Endpoints:TlsCertificateFile</c> and <c>TlsKeyFile</c>, or null for cleartext.</summary>
    public static TlsCertificateSource? For(ServiceEndpoints endpoints)
    {
        if (endpoints.TlsCertificateFile.Length == 0 && endpoints.TlsKeyFile.Length == 0)
            return null;
        if (!File.Exists(endpoints.TlsCertificateFile) || !File.Exists(endpoints.TlsKeyFile))
            throw new InvalidOperationException($"TLS needs both Endpoints:TlsCertificateFile ('{endpoints.TlsCertificateFile}') and Endpoints:TlsKeyFile " +
                                                $"('{endpoints.TlsKeyFile}') to be PEM files that exist; set both, or neither for cleartext.");
        return new TlsCertificateSource(endpoints.TlsCertificateFile, endpoints.TlsKeyFile, TimeSpan.FromSeconds(endpoints.TlsReloadSeconds));
    }

    /// <summary>The certificate a new connection gets.</summary>
    public X509Certificate2 Current => Volatile.Read(ref _current);

    private (X509Certificate2, byte[]) Load()
    {
        var certificate = File.ReadAllBytes(_certificateFile);
        var key = File.ReadAllBytes(_keyFile);
        var loaded = X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(certificate), System.Text.Encoding.ASCII.GetString(key));
        // Kestrel on Linux wants an exportable key it can hand to OpenSSL; a PEM-loaded one is ephemeral.
        var usable = X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
        loaded.Dispose();
        return (usable, SHA256.HashData([.. certificate, .. key]));
    }

    private void Poll()
    {
        try
        {
            var fingerprint = SHA256.HashData([.. File.ReadAllBytes(_certificateFile), .. File.ReadAllBytes(_keyFile)]);
            if (fingerprint.AsSpan().SequenceEqual(_loadedFrom))
                return;
            var (renewed, from) = Load();
            var old = Interlocked.Exchange(ref _current, renewed);
            _loadedFrom = from;
            Log?.Invoke($"TLS certificate reloaded from {_certificateFile}: {renewed.Subject}, valid until {renewed.NotAfter.ToUniversalTime():u} (was until {old.NotAfter.ToUniversalTime():u}).");
            // The old certificate may still be in a handshake; it is left to the finaliser.
        }
        catch (Exception e) when (e is IOException or CryptographicException or ArgumentException or UnauthorizedAccessException)
        {
            Log?.Invoke($"TLS certificate files {_certificateFile} and {_keyFile} changed but do not load ({e.Message}); still serving the certificate valid until " +
                        $"{Current.NotAfter.ToUniversalTime():u}. Check that the Secret holds a matching PEM certificate and key.");
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _meter.Dispose();
    }
}
