using System.Text.Json.Nodes;
using Json.Schema;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace PatternOne.Tests.AppHost.Publishing.Topologies;

/// <summary>
/// Strict validation of custom resources against the <c>openAPIV3Schema</c> of their upstream CRDs (copied into
/// <c>AppHost/Publishing/Fixtures/crd-schemas/</c>), as an API server with strict field validation applies it:
/// <list type="bullet">
/// <item>unknown fields are errors: every object schema with <c>properties</c> gets <c>additionalProperties: false</c>
/// unless it preserves unknown fields (the transformation kubeconform's <c>openapi2jsonschema</c> makes);</item>
/// <item>types, enums, required fields, patterns, min/max as the schema states them;</item>
/// <item>not checked: CEL rules (<c>x-kubernetes-validations</c>), defaults, webhooks.</item>
/// </list>
/// </summary>
public static class CrdSchemaValidator
{
    private static readonly Lazy<IReadOnlyDictionary<string, JsonSchema>> s_schemas = new(Load);

    /// <summary><c>group/version/Kind</c> of every schema in the fixtures.</summary>
    public static IReadOnlyCollection<string> Known => [.. s_schemas.Value.Keys];

    public static bool Has(string apiVersion, string kind) => s_schemas.Value.ContainsKey(apiVersion + "/" + kind);

    /// <summary>The schema errors of one object (empty when valid); throws when no schema is known for its kind.</summary>
    public static IReadOnlyList<string> Validate(JsonNode document)
    {
        var apiVersion = document["apiVersion"]!.GetValue<string>();
        var kind = document["kind"]!.GetValue<string>();
        if (!s_schemas.Value.TryGetValue(apiVersion + "/" + kind, out var schema))
        {
            throw new InvalidOperationException($"No CRD schema for {apiVersion} {kind} in the fixtures.");
        }

        var result = schema.Evaluate(document, new EvaluationOptions { OutputFormat = OutputFormat.List });
        return result.IsValid
            ? []
            : [.. result.Details.Where(d => d.Errors is { Count: > 0 }).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))];
    }

    /// <summary>The YAML documents of a file as JSON, scalars typed as YAML 1.2's core schema reads them.</summary>
    public static IReadOnlyList<JsonNode> ReadYaml(string text)
    {
        var deserializer = new DeserializerBuilder().WithAttemptingUnquotedStringTypeDeserialization().Build();
        var parser = new Parser(new StringReader(text));
        parser.Consume<StreamStart>();
        List<JsonNode> documents = [];
        while (parser.Accept<DocumentStart>(out _))
        {
            var value = deserializer.Deserialize(parser);
            if (value is not null)
            {
                documents.Add(ToJson(value)!);
            }
        }

        return documents;
    }

    private static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        IDictionary<object, object?> map => new JsonObject(map.Select(kv => KeyValuePair.Create(Convert.ToString(kv.Key, System.Globalization.CultureInfo.InvariantCulture)!, ToJson(kv.Value)))),
        IList<object?> list => new JsonArray([.. list.Select(ToJson)]),
        _ => JsonValue.Create(value),
    };

    private static IReadOnlyDictionary<string, JsonSchema> Load()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "AppHost", "Publishing", "Fixtures", "crd-schemas");
        Dictionary<string, JsonSchema> schemas = new(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder, "*.json"))
        {
            var fixture = JsonNode.Parse(File.ReadAllText(file))!;
            var key = $"{fixture["group"]}/{fixture["version"]}/{fixture["kind"]}";
            var schema = fixture["schema"]!.DeepClone();
            // The API server accepts apiVersion, kind and metadata on every object; some CRDs (Istio's) omit them.
            var root = schema["properties"]!.AsObject();
            root.TryAdd("apiVersion", new JsonObject { ["type"] = "string" });
            root.TryAdd("kind", new JsonObject { ["type"] = "string" });
            root.TryAdd("metadata", new JsonObject { ["type"] = "object" });
            Strict(schema);
            schemas[key] = JsonSchema.FromText(schema.ToJsonString());
        }

        return schemas;
    }

    private static void Strict(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["x-kubernetes-int-or-string"]?.GetValue<bool>() == true && obj["anyOf"] is null)
                {
                    obj["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" });
                }

                if (obj["properties"] is JsonObject && obj["additionalProperties"] is null &&
                    obj["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() != true)
                {
                    obj["additionalProperties"] = false;
                }

                foreach (var (_, child) in obj.ToList())
                {
                    Strict(child);
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    Strict(child);
                }

                break;
            default:
                break;
        }
    }
}
