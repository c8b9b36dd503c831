using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;
using PatternOne.Gateway.Observability;

namespace PatternOne.Gateway.Tls;

/// <summary>
/// Loads the certificate and key from PEM files (cert-manager's <c>tls.crt</c>/<c>tls.key</c>, or the AppHost's local
/// CA pair) and swaps them when the files change. Two triggers, because either can miss: a file watcher (fast) and a
/// periodic comparison of the files' content (Kubernetes updates a Secret volume by swapping a <c>..data</c> symlink,
/// which some file systems report late or not at all). A pair that does not load — the key written before the
/// certificate, say — leaves the previous certificate in place until the next trigger.
/// </summary>
internal sealed class PemCertificateStore : IServerCertificateStore, IHostedService, IDisposable
{
    private readonly string _certificatePath;
    private readonly string _keyPath;
    private readonly TimeSpan _checkInterval;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<PemCertificateStore> _logger;
    private readonly Lock _gate = new();
    private readonly List<FileSystemWatcher> _watchers = [];
    private ServerCertificate _current;
    private byte[] _fingerprint;
    private ITimer? _timer;

    public PemCertificateStore(IOptions<GatewayOptions> options, TimeProvider timeProvider, ILogger<PemCertificateStore> logger)
    {
        var tls = options.Value.Tls;
        _certificatePath = Path.GetFullPath(tls.CertificatePath ?? throw new InvalidOperationException("Gateway:Tls:CertificatePath is not set."));
        _keyPath = Path.GetFullPath(tls.KeyPath ?? throw new InvalidOperationException("Gateway:Tls:KeyPath is not set."));
        _checkInterval = tls.ReloadCheckInterval;
        _timeProvider = timeProvider;
        _logger = logger;

        // The first pair must load: a gateway without its certificate should fail to start, not serve handshake errors.
        var (certificatePem, keyPem, fingerprint) = ReadFiles();
        _current = Load(certificatePem, keyPem);
        _fingerprint = fingerprint;
        GatewayLog.CertificateLoaded(_logger, _current.Leaf.Subject, _current.Leaf.Thumbprint, _current.Leaf.NotAfter);
    }

    public ServerCertificate Current => Volatile.Read(ref _current);

    public event Action<ServerCertificate>? Changed;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var directory in new[] { Path.GetDirectoryName(_certificatePath)!, Path.GetDirectoryName(_keyPath)! }.Distinct())
        {
            var watcher = new FileSystemWatcher(directory)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.DirectoryName,
            };
            watcher.Changed += OnFileEvent;
            watcher.Created += OnFileEvent;
            watcher.Renamed += OnFileEvent;
            watcher.Deleted += OnFileEvent;
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }

        if (_checkInterval > TimeSpan.Zero)
        {
            _timer = _timeProvider.CreateTimer(_ => Reload(), null, _checkInterval, _checkInterval);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public bool Reload()
    {
        ServerCertificate loaded;
        lock (_gate)
        {
            try
            {
                var (certificatePem, keyPem, fingerprint) = ReadFiles();
                if (CryptographicOperations.FixedTimeEquals(fingerprint, _fingerprint))
                {
                    return false;
                }

                loaded = Load(certificatePem, keyPem);
                _fingerprint = fingerprint;
                Volatile.Write(ref _current, loaded);
            }
            catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
            {
                GatewayLog.CertificateReloadFailed(_logger, _certificatePath, ex);
                return false;
            }
        }

        GatewayLog.CertificateLoaded(_logger, loaded.Leaf.Subject, loaded.Leaf.Thumbprint, loaded.Leaf.NotAfter);
        Changed?.Invoke(loaded);
        return true;
    }

    public void Dispose()
    {
        _timer?.Dispose();
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _watchers.Clear();
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e) =>
        // Off the watcher's thread: loading parses keys, and the watcher's buffer should keep draining.
        ThreadPool.QueueUserWorkItem(static store => store.Reload(), this, preferLocal: false);

    private (string CertificatePem, string KeyPem, byte[] Fingerprint) ReadFiles()
    {
        var certificate = File.ReadAllBytes(_certificatePath);
        var key = File.ReadAllBytes(_keyPath);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(certificate);
        hash.AppendData(key);
        return (System.Text.Encoding.UTF8.GetString(certificate), System.Text.Encoding.UTF8.GetString(key), hash.GetHashAndReset());
    }

    private ServerCertificate Load(string certificatePem, string keyPem)
    {
        // The certificate file may carry the chain after the leaf (cert-manager's tls.crt does); the leaf comes first.
        var leaf = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        if (OperatingSystem.IsWindows())
        {
            // SChannel cannot use an ephemeral PEM key for a server handshake; a PKCS#12 round trip gives it a real one.
            using var ephemeral = leaf;
            leaf = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
        }

        var all = new X509Certificate2Collection();
        all.ImportFromPem(certificatePem);
        var chain = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (certificate.Thumbprint != leaf.Thumbprint)
            {
                chain.Add(certificate);
            }
        }

        // offline: building the chain must not reach out for intermediates; the file carries what clients need.
        var context = SslStreamCertificateContext.Create(leaf, chain, offline: true);
        return new ServerCertificate(leaf, context, _timeProvider.GetUtcNow());
    }
}
