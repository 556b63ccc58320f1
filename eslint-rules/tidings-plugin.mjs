// Tidings' local ESLint rules (issue 15). Plain ESM, loaded by eslint.config.mjs; the
// workspace spec test/workspace/lint-rules.spec.ts proves each rule fails on a probe.

const MAX_COLLABORATORS = 6;

/** The object-literal type a parameter is annotated with (`deps: { a: A; b: B }`), if any. */
function literalType(param) {
  const inner = param.type === 'TSParameterProperty' ? param.parameter : param;
  const target = inner.type === 'AssignmentPattern' ? inner.left : inner;
  const annotation = target.typeAnnotation?.typeAnnotation;
  return annotation?.type === 'TSTypeLiteral' ? { name: target.type === 'Identifier' ? target.name : undefined, members: annotation.members.length } : undefined;
}

/**
 * `max-collaborators`: a constructor's collaborators are its parameters, where a parameter
 * typed as an object literal (the `deps: { ... }` bag) counts one per field. The same count
 * applies to any function taking a `deps` object literal. `max-params` alone would let ten
 * dependencies hide inside one `deps` parameter.
 */
const maxCollaborators = {
  meta: {
    type: 'suggestion',
    docs: { description: `A constructor, or a function taking a \`deps\` object, has at most ${MAX_COLLABORATORS} collaborators, counting each field of an object-literal-typed parameter.` },
    schema: [{ type: 'object', properties: { max: { type: 'integer', minimum: 0 } }, additionalProperties: false }],
    messages: {
      tooMany: '{{what}} has {{count}} collaborators ({{detail}}); the maximum is {{max}}. Group them behind a smaller abstraction.',
    },
  },
  create(context) {
    const max = context.options[0]?.max ?? MAX_COLLABORATORS;
    function check(fn) {
      const isConstructor = fn.parent?.type === 'MethodDefinition' && fn.parent.kind === 'constructor';
      const literals = fn.params.map(literalType);
      const hasDeps = literals.some((l) => l?.name === 'deps');
      if (!isConstructor && !hasDeps) return;
      const expands = (literal) => literal && (isConstructor || literal.name === 'deps');
      // Plain parameters alone are max-params' business: report only what it cannot see.
      if (!literals.some(expands)) return;
      let count = 0;
      const parts = [];
      let plain = 0;
      literals.forEach((literal) => {
        if (expands(literal)) {
          count += literal.members;
          parts.push(`${literal.members} fields of \`${literal.name ?? 'an object parameter'}\``);
        } else {
          count += 1;
          plain += 1;
        }
      });
      if (count <= max) return;
      if (plain > 0) parts.unshift(`${plain} parameter${plain === 1 ? '' : 's'}`);
      context.report({
        node: isConstructor ? fn.parent : fn,
        messageId: 'tooMany',
        data: { what: isConstructor ? 'Constructor' : 'Function', count: String(count), detail: parts.join(' + '), max: String(max) },
      });
    }
    return { FunctionDeclaration: check, FunctionExpression: check, ArrowFunctionExpression: check, TSDeclareFunction: check, TSEmptyBodyFunctionExpression: check };
  },
};

export default {
  meta: { name: 'tidings' },
  rules: { 'max-collaborators': maxCollaborators },
};
