using System.Text.Json;

namespace PatternOne.Gateway;

/// <summary>
/// Errors the gateway answers itself, in the OpenAI API's shape
/// (<c>{"error":{"message","type","param","code"}}</c>), so SDK clients surface them as API errors.
/// </summary>
public static class OpenAiError
{
    public const string InvalidRequest = "invalid_request_error";
    public const string ServerError = "server_error";

    public static async Task WriteAsync(HttpContext context, int statusCode, string message, string type, string? code,
        string? param = null)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(Serialize(message, type, code, param), context.RequestAborted);
    }

    public static byte[] Serialize(string message, string type, string? code, string? param = null)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", type);
            WriteNullable(writer, "param", param);
            WriteNullable(writer, "code", code);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
