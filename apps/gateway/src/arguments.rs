//! One check of every string a GraphQL request carries, before any resolver runs:
//! inline arguments, the variables bound to them and the variables' defaults, down
//! through input objects and lists. A string with a NUL or another control
//! character where it makes no sense, or one longer than its kind allows, refuses
//! the whole request with `INVALID_ARGUMENT` naming the argument (`input.title`,
//! `lines[0].sku`), so no such string reaches a database.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{
    Directive, ExecutableDocument, Field, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::parser::{Pos, Positioned};
use async_graphql::{Name, ServerError, ServerResult, Variables};
use async_graphql_value::{ConstValue, Value};
use souk_edge::input::{check_text, Kind};
use souk_edge::ApiError;

/// The extension that runs the check on every request.
#[derive(Debug, Clone, Copy, Default)]
pub struct ArgumentCheck;

impl ExtensionFactory for ArgumentCheck {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ArgumentCheck)
    }
}

#[async_trait::async_trait]
impl Extension for ArgumentCheck {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        check_document(&document, variables)?;
        Ok(document)
    }
}

/// The variables in force for one operation: the request's, else the defaults.
struct Bound<'a> {
    given: &'a Variables,
    operation: &'a OperationDefinition,
}

impl Bound<'_> {
    fn get(&self, name: &Name) -> Option<&ConstValue> {
        self.given.get(name).or_else(|| {
            self.operation
                .variable_definitions
                .iter()
                .find(|definition| definition.node.name.node == *name)
                .and_then(|definition| definition.node.default_value.as_ref())
                .map(|value| &value.node)
        })
    }
}

fn check_document(document: &ExecutableDocument, variables: &Variables) -> ServerResult<()> {
    for (_, operation) in document.operations.iter() {
        let bound = Bound {
            given: variables,
            operation: &operation.node,
        };
        check_directives(&operation.node.directives, &bound)?;
        check_selections(&operation.node.selection_set.node, &bound)?;
        for fragment in document.fragments.values() {
            check_directives(&fragment.node.directives, &bound)?;
            check_selections(&fragment.node.selection_set.node, &bound)?;
        }
    }
    Ok(())
}

fn check_selections(set: &SelectionSet, bound: &Bound<'_>) -> ServerResult<()> {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => check_field(&field.node, bound)?,
            Selection::FragmentSpread(spread) => {
                check_directives(&spread.node.directives, bound)?;
            }
            Selection::InlineFragment(fragment) => {
                check_directives(&fragment.node.directives, bound)?;
                check_selections(&fragment.node.selection_set.node, bound)?;
            }
        }
    }
    Ok(())
}

fn check_field(field: &Field, bound: &Bound<'_>) -> ServerResult<()> {
    check_arguments(&field.arguments, bound)?;
    check_directives(&field.directives, bound)?;
    check_selections(&field.selection_set.node, bound)
}

fn check_directives(directives: &[Positioned<Directive>], bound: &Bound<'_>) -> ServerResult<()> {
    directives
        .iter()
        .try_for_each(|directive| check_arguments(&directive.node.arguments, bound))
}

fn check_arguments(
    arguments: &[(Positioned<Name>, Positioned<Value>)],
    bound: &Bound<'_>,
) -> ServerResult<()> {
    for (name, value) in arguments {
        let at = Spot {
            path: name.node.to_string(),
            kind: Kind::of_argument(&name.node),
            pos: value.pos,
        };
        check_value(&value.node, &at, bound)?;
    }
    Ok(())
}

/// Where in the request a value sits, for the error.
struct Spot {
    path: String,
    kind: Kind,
    pos: Pos,
}

impl Spot {
    fn field(&self, name: &Name) -> Spot {
        Spot {
            path: format!("{}.{name}", self.path),
            kind: Kind::of_argument(name),
            pos: self.pos,
        }
    }

    fn item(&self, index: usize) -> Spot {
        Spot {
            path: format!("{}[{index}]", self.path),
            kind: self.kind,
            pos: self.pos,
        }
    }

    fn refuse(&self, err: ApiError) -> ServerError {
        async_graphql::Error::from(err).into_server_error(self.pos)
    }
}

fn check_value(value: &Value, at: &Spot, bound: &Bound<'_>) -> ServerResult<()> {
    match value {
        Value::Variable(name) => match bound.get(name) {
            Some(given) => check_const(given, at),
            None => Ok(()),
        },
        Value::String(text) => check_text(&at.path, text, at.kind).map_err(|err| at.refuse(err)),
        Value::List(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(index, item)| check_value(item, &at.item(index), bound)),
        Value::Object(fields) => fields
            .iter()
            .try_for_each(|(name, item)| check_value(item, &at.field(name), bound)),
        _ => Ok(()),
    }
}

fn check_const(value: &ConstValue, at: &Spot) -> ServerResult<()> {
    match value {
        ConstValue::String(text) => {
            check_text(&at.path, text, at.kind).map_err(|err| at.refuse(err))
        }
        ConstValue::List(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(index, item)| check_const(item, &at.item(index))),
        ConstValue::Object(fields) => fields
            .iter()
            .try_for_each(|(name, item)| check_const(item, &at.field(name))),
        _ => Ok(()),
    }
}
