using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FaceMesh.Hosting;

/// <summary>
/// The gRPC port's certificate, read again when its files change, so a renewed certificate (cert-manager rewrites the
/// mounted Secret before the old one expires) is served to new connections without a restart. The files are polled
/// rather than watched: a Secret volume is updated by swapping a symlink, which file watchers miss. A renewal that
/// does not load (half written, key and certificate not matching) keeps the current certificate and is logged once; the
/// files are tried again when they change again. <c>facemesh_tls_certificate_expiry_timestamp_seconds</c> tells the alert how long is left.
/// </summary>
public sealed class TlsCertificateSource : IDisposable
{
    private readonly Meter _meter = new(ServiceDefaults.MeterPrefix + "Tls");
    private readonly string _certificateFile;
    private readonly string _keyFile;
    private readonly Timer _timer;
    private byte[] _seen; // the SHA-256 of the files last read, loaded or not
    private X509Certificate2 _current;

    /// <summary>Called with a line to log when a renewal loads or fails to.</summary>
    public Action<string>? Log { get; set; }

    private TlsCertificateSource(string certificateFile, string keyFile, TimeSpan pollEvery)
    {
        _certificateFile = certificateFile;
        _keyFile = keyFile;
        var files = Read();
        _current = Load(files);
        _seen = Fingerprint(files);
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

    private (byte[] Certificate, byte[] Key) Read() => (File.ReadAllBytes(_certificateFile), File.ReadAllBytes(_keyFile));

    private static byte[] Fingerprint((byte[] Certificate, byte[] Key) files) => SHA256.HashData([.. files.Certificate, .. files.Key]);

    private static X509Certificate2 Load((byte[] Certificate, byte[] Key) files)
    {
        using var loaded = X509Certificate2.CreateFromPem(System.Text.Encoding.ASCII.GetString(files.Certificate), System.Text.Encoding.ASCII.GetString(files.Key));
        // Kestrel on Linux wants an exportable key it can hand to OpenSSL; a PEM-loaded one is ephemeral.
        return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null);
    }

    private void Poll()
    {
        try
        {
            var files = Read();
            var fingerprint = Fingerprint(files);
            if (fingerprint.AsSpan().SequenceEqual(_seen))
                return;
            _seen = fingerprint;
            var renewed = Load(files);
            var old = Interlocked.Exchange(ref _current, renewed);
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
