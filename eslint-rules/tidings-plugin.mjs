// Tidings' local ESLint rules (issue 15). Plain ESM, loaded by eslint.config.mjs; the
// workspace spec test/workspace/lint-rules.spec.ts proves each rule fails on a probe.

const MAX_COLLABORATORS = 6;

/** The parameter's own node and name, through `private readonly` and default values. */
function target(param) {
  const inner = param.type === 'TSParameterProperty' ? param.parameter : param;
  const node = inner.type === 'AssignmentPattern' ? inner.left : inner;
  return { node, name: node.type === 'Identifier' ? node.name : undefined };
}

/** Interfaces and object type aliases declared in this file, by name, with their member counts. */
function localObjectTypes(program) {
  const types = new Map();
  for (const statement of program.body) {
    const declaration = statement.type === 'ExportNamedDeclaration' ? statement.declaration : statement;
    if (declaration?.type === 'TSInterfaceDeclaration') types.set(declaration.id.name, declaration.body.body.length);
    if (declaration?.type === 'TSTypeAliasDeclaration' && declaration.typeAnnotation.type === 'TSTypeLiteral') types.set(declaration.id.name, declaration.typeAnnotation.members.length);
  }
  return types;
}

/**
 * The fields of an object a parameter is typed with: an object literal (`deps: { a: A }`); or,
 * for a parameter named `deps`, a named type too (`deps: LanesDeps`), looked up in this file
 * or, with type information, wherever it is declared. Undefined for anything else.
 */
function objectFields(param, context, localTypes) {
  const { node, name } = target(param);
  const annotation = node.typeAnnotation?.typeAnnotation;
  if (annotation?.type === 'TSTypeLiteral') return { name, members: annotation.members.length };
  if (name !== 'deps' || annotation?.type !== 'TSTypeReference' || annotation.typeName.type !== 'Identifier') return undefined;
  const local = localTypes().get(annotation.typeName.name);
  if (local !== undefined) return { name, members: local };
  const services = context.sourceCode.parserServices;
  if (!services?.program || !services.esTreeNodeToTSNodeMap) return undefined;
  const checker = services.program.getTypeChecker();
  const type = checker.getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(node));
  return { name, members: checker.getPropertiesOfType(type).length };
}

/**
 * `max-collaborators`: a constructor's collaborators are its parameters, where a parameter
 * typed as an object literal, or a `deps` parameter of a named object type, counts one per
 * field. The same count applies to any function taking a `deps` object. `max-params` alone would let ten
 * dependencies hide inside one `deps` parameter.
 */
const maxCollaborators = {
  meta: {
    type: 'suggestion',
    docs: { description: `A constructor, or a function taking a \`deps\` object, has at most ${MAX_COLLABORATORS} collaborators, counting each field of an object-literal-typed parameter and of a \`deps\` parameter of a named type.` },
    schema: [{ type: 'object', properties: { max: { type: 'integer', minimum: 0 } }, additionalProperties: false }],
    messages: {
      tooMany: '{{what}} has {{count}} collaborators ({{detail}}); the maximum is {{max}}. Group them behind a smaller abstraction.',
    },
  },
  create(context) {
    const max = context.options[0]?.max ?? MAX_COLLABORATORS;
    let types;
    const localTypes = () => (types ??= localObjectTypes(context.sourceCode.ast));
    function check(fn) {
      const isConstructor = fn.parent?.type === 'MethodDefinition' && fn.parent.kind === 'constructor';
      const literals = fn.params.map((param) => objectFields(param, context, localTypes));
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
