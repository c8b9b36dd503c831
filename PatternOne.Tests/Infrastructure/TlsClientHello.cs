using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace PatternOne.Tests.Infrastructure;

/// <summary>
/// Sends one hand-built TLS ClientHello and reads what the server answers first. .NET's own client asks the machine's
/// OpenSSL, which may refuse to even offer TLS 1.0/1.1, so a refusal seen through <c>SslStream</c> can be the client's
/// doing; written by hand, the hello is always offered and the answer is the server's alone.
/// </summary>
internal static class TlsClientHello
{
    public const ushort Tls10 = 0x0301, Tls11 = 0x0302, Tls12 = 0x0303;

    /// <summary>The server's first record: a ServerHello (with the version it chose), an alert, or nothing (closed).</summary>
    public sealed record Answer(bool IsServerHello, ushort ServerVersion, byte? AlertDescription);

    // ECDHE with ECDSA and RSA certificates, GCM and the CBC suites TLS 1.0/1.1 need, plus the renegotiation SCSV.
    private static readonly ushort[] s_cipherSuites = [0xC02B, 0xC02F, 0xC02C, 0xC030, 0xC009, 0xC013, 0xC00A, 0xC014, 0x009C, 0x002F, 0x0035, 0x00FF];
    private static readonly ushort[] s_groups = [0x001D, 0x0017, 0x0018];
    private static readonly ushort[] s_signatureAlgorithms = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501];

    /// <summary>Offers exactly <paramref name="version"/> (no supported_versions extension) with server name localhost.</summary>
    public static async Task<Answer> SendAsync(string host, int port, ushort version, TimeSpan timeout)
    {
        using var expiry = new CancellationTokenSource(timeout);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host, port, expiry.Token);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Build(version), expiry.Token);

        // Record header (type, version, length), then the handshake header (type, length) and the server's version.
        var first = new byte[11];
        var read = 0;
        try
        {
            while (read < first.Length && await stream.ReadAsync(first.AsMemory(read), expiry.Token) is var n and > 0)
            {
                read += n;
            }
        }
        catch (IOException)
        {
            // A reset is a refusal too.
        }

        return read switch
        {
            11 when first[0] == 0x16 && first[5] == 0x02 => new Answer(true, BinaryPrimitives.ReadUInt16BigEndian(first.AsSpan(9)), null),
            >= 7 when first[0] == 0x15 => new Answer(false, 0, first[6]),
            _ => new Answer(false, 0, null),
        };
    }

    private static byte[] Build(ushort version)
    {
        var extensions = new List<byte>();
        var name = Encoding.ASCII.GetBytes("localhost");
        Extension(extensions, 0x0000, [.. U16(name.Length + 3), 0x00, .. U16(name.Length), .. name]);
        Extension(extensions, 0x000A, [.. U16(s_groups.Length * 2), .. s_groups.SelectMany(U16)]);
        Extension(extensions, 0x000B, [0x01, 0x00]);
        Extension(extensions, 0x000D, [.. U16(s_signatureAlgorithms.Length * 2), .. s_signatureAlgorithms.SelectMany(U16)]);

        byte[] body =
        [
            .. U16(version), .. RandomNumberGenerator.GetBytes(32), 0x00,
            .. U16(s_cipherSuites.Length * 2), .. s_cipherSuites.SelectMany(U16),
            0x01, 0x00,
            .. U16(extensions.Count), .. extensions,
        ];
        byte[] handshake = [0x01, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];
        return [0x16, .. U16(Tls10), .. U16(handshake.Length), .. handshake];
    }

    private static void Extension(List<byte> into, ushort type, byte[] data)
    {
        into.AddRange(U16(type));
        into.AddRange(U16(data.Length));
        into.AddRange(data);
    }

    private static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    private static byte[] U16(ushort value) => U16((int)value);
}
