using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace FaceMesh.Testing;

/// <summary>A self-signed certificate for 127.0.0.1 and its key, as PEM, for a Gateway with TLS on loopback.</summary>
public sealed record TestCertificate(X509Certificate2 Certificate, string CertificatePem, string KeyPem)
{
    public static TestCertificate SelfSigned(string name, TimeSpan validFor, TimeSpan? validSince = null)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow - (validSince ?? TimeSpan.FromMinutes(5)), DateTimeOffset.UtcNow + validFor);
        return new TestCertificate(certificate, certificate.ExportCertificatePem(), rsa.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Writes tls.crt and tls.key (a kubernetes.io/tls Secret's names) into a new directory.</summary>
    public (string CertificateFile, string KeyFile) Write()
    {
        var directory = TestPaths.NewTempDirectory();
        string certificateFile = Path.Combine(directory, "tls.crt"), keyFile = Path.Combine(directory, "tls.key");
        File.WriteAllText(certificateFile, CertificatePem);
        File.WriteAllText(keyFile, KeyPem);
        return (certificateFile, keyFile);
    }
}
