namespace CertLibrary.CertStore.OneNumber;

/// <summary>
/// Progress notices (办件进度通知): when a certificate is issued to a citizen or changes status, a signed webhook goes
/// to the configured SMS/WeChat gateway. Off while <see cref="GatewayUrl"/> is null. Configured from
/// <c>CERTLIB_NOTICE_WEBHOOK_URL</c> and <c>CERTLIB_NOTICE_WEBHOOK_SECRET</c>.
/// </summary>
public sealed class ProgressNoticeOptions
{
    /// <summary>Where notices are POSTed; null switches notices off.</summary>
    public Uri? GatewayUrl { get; set; }

    /// <summary>HMAC-SHA256 key of the <c>CertLib-Signature</c> header (required with a gateway).</summary>
    public string? Secret { get; set; }

    /// <summary>How often the outbox is scanned.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Delay before the first retry; doubled for each further one.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest delay between two attempts.</summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Attempts before a notice is marked failed.</summary>
    public int MaxAttempts { get; set; } = 10;

    /// <summary>Timeout of one delivery.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}
