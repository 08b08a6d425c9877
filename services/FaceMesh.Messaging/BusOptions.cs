using System.ComponentModel.DataAnnotations;

namespace FaceMesh.Messaging;

/// <summary>Configuration section <c>Bus</c>: how enrollment events travel from the Gateway to the Matchers.</summary>
public sealed class BusOptions
{
    public const string Section = "Bus";

    /// <summary>
    /// Empty: no bus (the Gateway calls the Matcher directly over gRPC). <c>InMemory</c>: MassTransit's in-memory
    /// transport, for the single-process mode only. <c>RabbitMq</c>: a RabbitMQ broker with publisher confirms.
    /// </summary>
    [RegularExpression("^(|InMemory|RabbitMq)$", ErrorMessage = "Bus:Transport must be empty, InMemory or RabbitMq.")]
    public string Transport { get; set; } = "";

    public string Host { get; set; } = "127.0.0.1";

    [Range(1, 65535)]
    public int Port { get; set; } = 5672;

    public string VirtualHost { get; set; } = "/";

    public string Username { get; set; } = "guest";

    /// <summary>From a secret in a cluster; never commit a real one.</summary>
    public string Password { get; set; } = "guest";

    /// <summary>The Matchers' queue; replicas sharing one Qdrant store share it (competing consumers). Each embedded-store replica needs
    /// its own.</summary>
    public string Queue { get; set; } = "facemesh-matcher";

    /// <summary>How long the Gateway waits for the broker to confirm a publish before answering UNAVAILABLE.</summary>
    [Range(0.1, 300)]
    public double PublishTimeoutSeconds { get; set; } = 10;

    /// <summary>Deliveries of a failing event (transient errors) before it goes to the error queue.</summary>
    [Range(1, 100)]
    public int RetryAttempts { get; set; } = 5;

    [Range(1, 60000)]
    public int RetryIntervalMilliseconds { get; set; } = 200;

    /// <summary>Events a Matcher applies at once; 1 keeps a subject's enrollments and deletion in order.</summary>
    [Range(1, 256)]
    public int ConcurrentMessageLimit { get; set; } = 1;

    public bool Enabled => Transport.Length > 0;
}
