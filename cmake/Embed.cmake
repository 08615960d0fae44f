# connectorc_embed(<out-var> <input> <symbol>): a generated source that
# embeds <input>; append <out-var> to a target's sources.
function(connectorc_embed OUT INPUT SYMBOL)
  set(CPP ${CMAKE_CURRENT_BINARY_DIR}/Embedded_${SYMBOL}.cpp)
  add_custom_command(
    OUTPUT ${CPP}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${INPUT} -DOUTPUT=${CPP} -DSYMBOL=${SYMBOL}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFile.cmake
    DEPENDS ${INPUT} ${PROJECT_SOURCE_DIR}/cmake/EmbedFile.cmake
    COMMENT "Embedding ${INPUT}")
  set(${OUT} ${CPP} PARENT_SCOPE)
endfunction()
